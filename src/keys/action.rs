//! Everything a key can do. Each action has a stable name (used in keymap.toml), a description
//! (shown in help) and a scope: where it means something, which decides who gets the key and how
//! help groups it.

/// Where an action applies. A key may be bound to two actions only when their scopes never
/// apply at the same time (say, one in the Queue view and one in the Training view).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Anywhere.
    Global,
    /// Moving in the list of the view that has the focus.
    Navigation,
    /// Views that show tracks to pick: Library, Genres, Playlists and search results.
    Browse,
    /// The Queue view.
    Queue,
    /// The Playlists view.
    Playlists,
    /// The Training view (a finished or running training).
    Training,
}

impl Scope {
    /// In help order.
    pub const ALL: [Scope; 6] = [
        Scope::Global,
        Scope::Navigation,
        Scope::Browse,
        Scope::Queue,
        Scope::Playlists,
        Scope::Training,
    ];

    /// The help heading.
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Anywhere",
            Scope::Navigation => "Moving around",
            Scope::Browse => "Library, Genres, Playlists, search",
            Scope::Queue => "Queue",
            Scope::Playlists => "Playlists",
            Scope::Training => "Training",
        }
    }

    /// Whether both can apply at once (then one key cannot serve both).
    pub fn overlaps(self, other: Scope) -> bool {
        self == other
            || matches!(self, Scope::Global | Scope::Navigation)
            || matches!(other, Scope::Global | Scope::Navigation)
    }
}

macro_rules! actions {
    ($($variant:ident => $name:literal, $scope:ident, $desc:literal;)+) => {
        /// A user action.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($variant,)+
        }

        impl Action {
            /// Every action, in help order.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)+];

            /// The name used in keymap.toml.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)+
                }
            }

            /// What it does, for the help screen.
            pub fn description(self) -> &'static str {
                match self {
                    $(Action::$variant => $desc,)+
                }
            }

            /// Where it applies.
            pub fn scope(self) -> Scope {
                match self {
                    $(Action::$variant => Scope::$scope,)+
                }
            }

            pub fn from_name(name: &str) -> Option<Action> {
                match name {
                    $($name => Some(Action::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

actions! {
    Quit => "quit", Global, "Quit genreplay";
    Help => "help", Global, "Show or hide this help";
    Messages => "messages", Global, "Show the last status messages in full";
    NextView => "next_view", Global, "Next view";
    PrevView => "prev_view", Global, "Previous view";
    ViewLibrary => "view_library", Global, "Library view";
    ViewQueue => "view_queue", Global, "Queue view";
    ViewNowPlaying => "view_now_playing", Global, "Now playing view (with genre bars)";
    ViewGenres => "view_genres", Global, "Genres view: one auto playlist per genre";
    ViewPlaylists => "view_playlists", Global, "Playlists view: your saved playlists";
    ViewTraining => "view_training", Global, "Training view: retrain progress and results";
    ViewStats => "view_stats", Global, "Stats view: your listening in charts";
    Up => "up", Navigation, "Move up";
    Down => "down", Navigation, "Move down";
    PageUp => "page_up", Navigation, "Page up";
    PageDown => "page_down", Navigation, "Page down";
    Top => "top", Navigation, "Go to the top";
    Bottom => "bottom", Navigation, "Go to the bottom";
    Collapse => "collapse", Navigation, "Collapse / go to the parent";
    Expand => "expand", Navigation, "Expand";
    Activate => "activate", Navigation, "Play the selection (a folder or album plays as a whole)";
    Search => "search", Global, "Search the library, ranked, as you type";
    CommandLine => "command_line", Global, "Command line: any action by name (Tab completes)";
    PlayPause => "play_pause", Global, "Play / pause";
    Stop => "stop", Global, "Stop";
    NextTrack => "next_track", Global, "Next track";
    PrevTrack => "prev_track", Global, "Previous track (or restart this one)";
    SeekForward => "seek_forward", Global, "Seek forward 5 s";
    SeekBackward => "seek_backward", Global, "Seek back 5 s";
    SeekForwardLong => "seek_forward_long", Global, "Seek forward 30 s";
    SeekBackwardLong => "seek_backward_long", Global, "Seek back 30 s";
    SeekTo => "seek_to", Global, "Go to a time in the track (typed: 1:30, 90)";
    VolumeUp => "volume_up", Global, "Volume up";
    VolumeDown => "volume_down", Global, "Volume down";
    ToggleMute => "toggle_mute", Global, "Mute / unmute";
    ToggleShuffle => "toggle_shuffle", Global, "Shuffle on / off";
    CycleRepeat => "cycle_repeat", Global, "Repeat: off → all → one";
    ToggleCrossfade => "toggle_crossfade", Global, "Crossfade on / off (its seconds: crossfade in config.toml)";
    QueueAdd => "queue_add", Browse, "Add the selection to the end of the queue";
    QueueAddNext => "queue_add_next", Browse, "Play the selection next";
    QueueRemove => "queue_remove", Queue, "Remove the selected queue entry (or the marked ones)";
    QueueMark => "queue_mark", Queue, "Mark / unmark the queue entry (and move down)";
    QueueMoveUp => "queue_move_up", Queue, "Move the queue entry up";
    QueueMoveDown => "queue_move_down", Queue, "Move the queue entry down";
    QueueClear => "queue_clear", Global, "Clear the queue (keeps the playing track)";
    Undo => "undo", Global, "Undo the last change of the queue";
    Redo => "redo", Global, "Redo the change undo took back";
    SaveQueue => "save_queue", Global, "Save the queue as a named playlist";
    SaveSmart => "save_smart", Global, "New smart playlist (from the open search, or a rule)";
    CycleBrowse => "cycle_browse", Global, "Browse by artist → genre → style → folder";
    CycleSort => "cycle_sort", Global, "Sort the list shown (Library, search, playlist, up next)";
    CycleTheme => "cycle_theme", Global, "Next colour theme";
    ToggleVisualiser => "toggle_visualiser", Global, "Spectrum visualiser in Now playing on / off";
    JumpToPlaying => "jump_to_playing", Global, "Select the playing track";
    FillSimilar => "fill_similar", Global, "Play next: tracks like the selected track (else the playing)";
    ToggleAutoDj => "toggle_auto_dj", Global, "Auto-DJ on/off: the queue keeps going by itself";
    YourMix => "your_mix", Global, "Your mix: tracks like what you play and like most";
    PathTo => "path_to", Global, "Path from the playing track to the selected (or two marked)";
    MixMarked => "mix_marked", Global, "Play next: what sounds like the marked tracks together";
    ToggleMark => "toggle_mark", Browse, "Mark / unmark the selected track or group (and move down)";
    MarkLess => "mark_less", Browse, "Mark the track \"less like this\" for the mix of marked";
    MarkRange => "mark_range", Browse, "Visual mode: marks every row from here to where you move";
    ClearMarks => "clear_marks", Global, "Clear the marks (Library or Queue)";
    AddToPlaylist => "add_to_playlist", Browse, "Add the selection (or the marks) to a playlist";
    Like => "like", Global, "Like the playing (or selected) track";
    Dislike => "dislike", Global, "Dislike the playing (or selected) track: never recommended";
    Unrate => "unrate", Global, "Clear the rating of the playing (or selected) track";
    Rescan => "rescan", Global, "Rescan the library folder now (it is also watched for changes)";
    ExportPlaylist => "export_playlist", Global, "Export the genre playlist (or the queue) as M3U8";
    Suspend => "suspend", Global, "Suspend genreplay (fg brings it back)";
    Retrain => "retrain", Global, "Retrain the genre model on a tagged folder";
    UseBuiltInModel => "use_built_in_model", Global, "Switch back to the built-in genre model";
    RenamePlaylist => "rename_playlist", Playlists, "Rename the playlist";
    DeletePlaylist => "delete_playlist", Playlists, "Delete the playlist (asks first) or the selected track";
    ImportPlaylist => "import_playlist", Playlists, "Import an M3U, M3U8 or PLS file";
    EditRule => "edit_rule", Playlists, "Edit the smart playlist's rule";
    PlaylistMoveUp => "playlist_move_up", Playlists, "Move the playlist's track up";
    PlaylistMoveDown => "playlist_move_down", Playlists, "Move the playlist's track down";
    CancelTraining => "cancel_training", Training, "Cancel the running training";
    AcceptModel => "accept_model", Training, "Accept the trained model (it becomes active)";
    DiscardModel => "discard_model", Training, "Discard the trained model";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_every_action_is_described() {
        for &a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
            assert!(!a.description().is_empty());
            assert!(Scope::ALL.contains(&a.scope()));
        }
        assert_eq!(Action::from_name("nope"), None);
    }
}
