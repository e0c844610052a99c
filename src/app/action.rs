//! Everything a key can do. Each action has a stable name (used in keymap.toml) and a
//! description (shown in help).

macro_rules! actions {
    ($($variant:ident => $name:literal, $desc:literal;)+) => {
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
    Quit => "quit", "Quit genreplay";
    Help => "help", "Show or hide this help";
    NextView => "next_view", "Next view";
    PrevView => "prev_view", "Previous view";
    ViewLibrary => "view_library", "Library view";
    ViewQueue => "view_queue", "Queue view";
    ViewNowPlaying => "view_now_playing", "Now playing view (with genre bars)";
    ViewGenres => "view_genres", "Genres view: one auto playlist per genre";
    ViewTraining => "view_training", "Training view: retrain progress and results";
    Up => "up", "Move up";
    Down => "down", "Move down";
    PageUp => "page_up", "Page up";
    PageDown => "page_down", "Page down";
    Top => "top", "Go to the top";
    Bottom => "bottom", "Go to the bottom";
    Collapse => "collapse", "Collapse / go to the parent";
    Expand => "expand", "Expand";
    Activate => "activate", "Play the selection (a folder or album plays as a whole)";
    Search => "search", "Search the current view (fuzzy, as you type)";
    PlayPause => "play_pause", "Play / pause";
    Stop => "stop", "Stop";
    NextTrack => "next_track", "Next track";
    PrevTrack => "prev_track", "Previous track (or restart this one)";
    SeekForward => "seek_forward", "Seek forward 5 s";
    SeekBackward => "seek_backward", "Seek back 5 s";
    VolumeUp => "volume_up", "Volume up";
    VolumeDown => "volume_down", "Volume down";
    ToggleShuffle => "toggle_shuffle", "Shuffle on / off";
    CycleRepeat => "cycle_repeat", "Repeat: off → all → one";
    QueueAdd => "queue_add", "Add the selection to the end of the queue";
    QueueAddNext => "queue_add_next", "Play the selection next";
    QueueRemove => "queue_remove", "Remove the selected queue entry";
    QueueMoveUp => "queue_move_up", "Move the queue entry up";
    QueueMoveDown => "queue_move_down", "Move the queue entry down";
    QueueClear => "queue_clear", "Clear the queue (keeps the playing track)";
    CycleBrowse => "cycle_browse", "Browse by artist → genre → folder";
    CycleTheme => "cycle_theme", "Next colour theme";
    JumpToPlaying => "jump_to_playing", "Select the playing track";
    FillSimilar => "fill_similar", "Play next: tracks like the playing (or selected) one";
    ToggleAutoDj => "toggle_auto_dj", "Auto-DJ on/off: the queue keeps going by itself";
    ExportPlaylist => "export_playlist", "Export the genre playlist (or the queue) as M3U8";
    Retrain => "retrain", "Retrain the genre model on a tagged folder";
    UseBuiltInModel => "use_built_in_model", "Switch back to the built-in genre model";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_every_action_is_described() {
        for &a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
            assert!(!a.description().is_empty());
        }
        assert_eq!(Action::from_name("nope"), None);
    }
}
