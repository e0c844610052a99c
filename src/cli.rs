//! Command-line interface (clap). With no subcommand, genreplay opens the player.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "genreplay",
    version,
    about = "A terminal music player that sequences your library by sound"
)]
pub struct Cli {
    /// Music folder (default: your XDG music folder).
    #[arg(long, global = true, value_name = "DIR")]
    pub library: Option<PathBuf>,
    /// Where the database, models and log live (default: the XDG data folder).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Classify audio files: genre, confidence and the full genre vector.
    Classify(ClassifyArgs),
    /// Train a model from scratch on a labelled folder.
    Train(TrainArgs),
    /// Measure a model on a labelled folder: accuracy, per-class precision/recall, confusion.
    Eval(EvalArgs),
    /// Fit the open-set rule ("a genre or unsure") of a model on a labelled folder with an
    /// artist-filtered split (INDEX.tsv) and write the model with it.
    Calibrate(CalibrateArgs),
    /// Index the music folder (new, changed, removed files) and classify what is new.
    Scan(ScanArgs),
    /// List every track with its tags, genre, confidence and genre vector.
    Library(LibraryArgs),
    /// A "play next" queue of tracks that sound like a seed track.
    Queue(QueueArgs),
    /// Genre playlists (one per genre, by confidence), listed or exported as M3U8; or import a
    /// playlist file as a named playlist (--import).
    Playlists(PlaylistsArgs),
    /// Your listening in figures: time heard per day, top genres, styles and artists this
    /// week, this month and all time, the share of skips per genre, what was learned.
    Stats(StatsArgs),
    /// The genre models: list them, choose the active one, remove one.
    Models {
        #[command(subcommand)]
        action: Option<ModelsAction>,
    },
    /// For maintainers: distil the musicnn trunk into the small student network on unlabelled
    /// audio (writes OUT.json, OUT.bpk and OUT.report.json).
    Distill(DistillArgs),
    /// Database maintenance.
    Db {
        #[command(subcommand)]
        action: DbAction,
    },
    /// Drive the running player: play, pause, next, seek, volume, add files, status.
    Ctl {
        #[command(subcommand)]
        action: CtlAction,
    },
    /// The settings files (config.toml, keymap.toml, themes).
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Scrobbling to ListenBrainz: what waits in the queue, send it now, check the token.
    Scrobble {
        #[command(subcommand)]
        action: ScrobbleAction,
    },
    /// Print the shell completion script for bash, zsh or fish (see the README's install
    /// section for where each shell looks for it).
    Completions {
        #[arg(value_enum)]
        shell: ShellArg,
    },
    /// Print the manual page (roff): `genreplay man > genreplay.1`.
    Man,
}

/// The shells `genreplay completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ScrobbleAction {
    /// The settings in force, the listens waiting to be sent and the last error.
    Status,
    /// Send the waiting listens now (whatever wait the last answers asked for).
    Flush,
    /// Ask the server whether the token is valid (exit 1 when it is not).
    CheckToken,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ConfigAction {
    /// Check every settings file: each file read and what is wrong in it (exit 1 when
    /// something is).
    Check,
}

#[derive(Debug, Clone, Subcommand)]
pub enum CtlAction {
    /// Resume, or start the queue; with FILE, play that file of the library now (its album
    /// as the context).
    Play {
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Pause (a paused player stays paused).
    Pause,
    /// Play / pause.
    Toggle,
    /// The next track.
    Next,
    /// The previous track (or the start of this one after 3 s).
    Prev,
    /// Stop playing.
    Stop,
    /// Seek: +S or -S seconds from here, or to S from the start (S may be m:ss).
    Seek {
        #[arg(allow_hyphen_values = true, value_name = "±S")]
        position: String,
    },
    /// Set the volume to N percent (0–150), or change it by +N / -N.
    Volume {
        #[arg(allow_hyphen_values = true, value_name = "[±]N")]
        value: String,
    },
    /// Add files or folders of the library to the end of the queue.
    Add {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Add files or folders of the library to the end of a playlist (made when new).
    PlaylistAdd {
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Shuffle on or off.
    Shuffle {
        #[arg(value_parser = ["on", "off"])]
        mode: String,
    },
    /// Repeat off, all (the queue) or one (this track).
    Repeat {
        #[arg(value_parser = ["off", "all", "one"])]
        mode: String,
    },
    /// Auto-DJ on or off.
    Dj {
        #[arg(value_parser = ["on", "off"])]
        mode: String,
    },
    /// Like FILE (a file of the library), or the playing track.
    Like {
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Dislike FILE, or the playing track: play next and auto-DJ never choose it.
    Dislike {
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Clear the rating of FILE, or of the playing track.
    Unrate {
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Quit the player (its state is saved, as on `q`).
    Quit,
    /// What plays, where, the volume, shuffle, repeat and what comes next (--json for scripts).
    Status,
    /// Look at the library folder again now (it is also watched).
    Rescan,
    /// Run a `:` command line in the player: any action that works anywhere, by its name,
    /// with its answer (`ctl run redo`, `ctl run sort year`, `ctl run save_queue evening`).
    Run {
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true, value_name = "WORDS")]
        line: Vec<String>,
    },
    /// Follow the player: one JSON object per line for every change (track, play/pause/stop,
    /// seek, volume, queue, shuffle, repeat, rating), the first with the whole state, until
    /// the player quits (for status bars and scripts).
    Events,
}

#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// Every model: id, labels, created, source folder, metrics, active flag.
    List,
    /// Make a model active (an id, a prefix of one, "default" for the built-in default model, or
    /// a built-in model's name: musicnn, vgg, student).
    Use { id: String },
    /// Remove a model you trained, with its genre vectors.
    Rm { id: String },
}

#[derive(Debug, Subcommand)]
pub enum DbAction {
    /// Delete the database (tracks, vectors, playlists) and start over. Asks first.
    Reset {
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Only index; do not classify.
    #[arg(long)]
    pub no_classify: bool,
    /// Classification workers, one core each, at low priority (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct LibraryArgs {}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Days in the time-heard-per-day list (today last).
    #[arg(long, value_name = "N", default_value_t = crate::recommend::stats::DEFAULT_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::recommend::stats::MAX_DAYS)))]
    pub days: u32,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("station").required(true).args(["seed", "mix", "path"])))]
pub struct QueueArgs {
    /// A seed track (in the library, or any audio file: it is classified on the fly). Give it
    /// again for a mix of several seeds: what sounds like all of them together.
    #[arg(long, value_name = "FILE")]
    pub seed: Vec<PathBuf>,
    /// With --seed: sound less like this track (may be given again).
    #[arg(long, value_name = "FILE", requires = "seed")]
    pub less: Vec<PathBuf>,
    /// Your mix: tracks like what you play and like most (the listening history).
    #[arg(long, conflicts_with_all = ["seed", "path"])]
    pub mix: bool,
    /// A path from one track's sound to another's, step by step (-n tracks, both included).
    #[arg(long, num_args = 2, value_names = ["FROM", "TO"], conflicts_with = "seed")]
    pub path: Option<Vec<PathBuf>>,
    /// With --path: at most this many tracks of one artist.
    #[arg(long, default_value_t = 2, requires = "path",
          value_parser = clap::value_parser!(u32).range(1..=crate::recommend::stations::MAX_PATH_STEPS as i64))]
    pub artist_cap: u32,
    /// How many tracks (1–10000; default 20, a path 10).
    #[arg(short = 'n', long,
          value_parser = clap::value_parser!(u32).range(1..=crate::recommend::similar::MAX_PICKS as i64))]
    pub count: Option<u32>,
    /// 0 = the best matches in order; up to 1 = more varied.
    #[arg(long, default_value_t = 0.3)]
    pub randomness: f32,
    /// No artist again within this many tracks (1–100).
    #[arg(long, default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=crate::recommend::similar::MAX_ARTIST_WINDOW as i64))]
    pub artist_window: u32,
    /// Never a track less similar to the seed than this (0-1); the queue may come out shorter.
    #[arg(long, default_value_t = crate::recommend::similar::DEFAULT_MIN_SIMILARITY)]
    pub min_similarity: f32,
}

#[derive(Debug, Args)]
pub struct PlaylistsArgs {
    /// Write one GENRE.m3u8 per genre into DIR.
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
    /// Leave out tracks whose top genre is less certain than this (0–1).
    #[arg(long, default_value_t = 0.0)]
    pub min_confidence: f32,
    /// Overwrite existing playlist files.
    #[arg(long)]
    pub force: bool,
    /// Also put the tracks the model is unsure of (not one of its genres) under their top guess.
    #[arg(long)]
    pub include_unsure: bool,
    /// Import an M3U, M3U8 or PLS file as one of your named playlists (the player's
    /// Playlists view): the entries that name audio files are kept.
    #[arg(long, value_name = "FILE", conflicts_with = "export")]
    pub import: Option<PathBuf>,
    /// With --import: the playlist's name (default: the file's name).
    #[arg(long, value_name = "NAME", requires = "import")]
    pub name: Option<String>,
    /// List the smart playlist NAME: the tracks its rule finds now, with the fields it reads.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["export", "import", "new_smart"])]
    pub smart: Option<String>,
    /// Make a smart playlist called NAME whose tracks are those --rule finds.
    #[arg(long, value_name = "NAME", requires = "rule", conflicts_with_all = ["export", "import"])]
    pub new_smart: Option<String>,
    /// With --new-smart: the rule, e.g. "rating:like played:<7d" (the search language plus
    /// plays:, skips:, rating:, played:, added:, like:; README: Smart playlists).
    #[arg(long, value_name = "RULE", requires = "new_smart")]
    pub rule: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LabelsArg {
    /// Each immediate subfolder is a genre.
    Folders,
    /// The files' genre tags.
    Tags,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Model folder, or builtin:NAME for a built-in model (musicnn, vgg, student; default: the
    /// built-in default model).
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// Also report where the time went (decode, front end, CNN).
    #[arg(long)]
    pub timings: bool,
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// A genre head on the pretrained musicnn trunk (seconds to a minute).
    Quick,
    /// A whole CNN from scratch (minutes).
    Full,
}

/// Named training recipes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PresetArg {
    /// With --mode full: the CNN of Costa, Oliveira & Silla 2017 (mono, a 60 s clip around
    /// 1:00, 50 segments of 1.2 s, conv 5×5 64 + pool, conv 5×5 64 + pool, dense 500, dropout,
    /// mean of the segment probabilities); 8 epochs unless --epochs.
    Costa2017,
}

/// How a quick-mode head reads a track's 3 s patches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HeadArg {
    /// A linear classifier on each patch, trained by gradient steps; the mean of the patch
    /// softmaxes (the first default).
    Patch,
    /// Logistic regression (L2) on each patch, fitted to convergence; the mean of the patch
    /// softmaxes.
    PatchLogreg,
    /// Logistic regression (L2) on the mean of the patches' trunk features.
    Mean,
    /// Logistic regression on mean ‖ standard deviation over the patches.
    MeanStd,
    /// Logistic regression on mean ‖ maximum over the patches.
    MeanMax,
}

/// The pretrained trunks a quick-mode head can sit on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrunkArg {
    /// musicnn MSD_musicnn (the default model's trunk).
    Musicnn,
    /// musicnn MSD_vgg (lighter).
    Vgg,
    /// The small network distilled from MSD_musicnn (fastest).
    Student,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Labelled folder: one subfolder per genre, or tagged files with --labels tags.
    pub dir: PathBuf,
    #[arg(long, value_enum, default_value = "quick")]
    pub mode: ModeArg,
    /// With --mode quick: the pretrained trunk the head sits on (default: musicnn).
    #[arg(long, value_enum)]
    pub trunk: Option<TrunkArg>,
    /// With --mode full: a named recipe (costa2017: Costa, Oliveira & Silla 2017).
    #[arg(long, value_enum)]
    pub preset: Option<PresetArg>,
    /// With --mode quick: how the head reads the patches (default: patch, the built-in model's).
    #[arg(long, value_enum)]
    pub head: Option<HeadArg>,
    /// With a logistic-regression --head (patch-logreg, mean, mean-std, mean-max): its L2
    /// penalty (default 0.1).
    #[arg(long)]
    pub l2: Option<f64>,
    /// Measure the mode by K-fold cross-validation instead of saving a model.
    #[arg(long, value_name = "K")]
    pub cv: Option<usize>,
    /// Do not read or write the feature cache.
    #[arg(long)]
    pub no_cache: bool,
    #[arg(long, value_enum, default_value = "folders")]
    pub labels: LabelsArg,
    /// With --labels tags: genres with fewer tracks are left out.
    #[arg(long, default_value_t = 5)]
    pub min_count: usize,
    /// Epochs (default: 60 quick, 30 full).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Output model folder (default: a new folder in the data dir's models/).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Fraction of tracks held out for validation (by artist where tagged); 0 trains on
    /// everything (with an INDEX.tsv: its train and valid rows) for a fixed number of epochs.
    #[arg(long, default_value_t = 0.25)]
    pub valid_frac: f64,
    /// Ignore DIR/INDEX.tsv (by default its train/valid split is used when present).
    #[arg(long)]
    pub no_index: bool,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long)]
    pub batch_size: Option<usize>,
    #[arg(long)]
    pub learning_rate: Option<f64>,
    /// Epochs without a better validation result before stopping.
    #[arg(long)]
    pub patience: Option<usize>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Labelled folder (one subfolder per genre, or tagged files with --labels tags).
    pub dir: PathBuf,
    /// Model folder, or builtin:NAME for a built-in model (musicnn, vgg, student; default: the
    /// built-in default model).
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "folders")]
    pub labels: LabelsArg,
    /// Only the rows of DIR/INDEX.tsv in this split (`unlisted`: the rows in neither).
    #[arg(long, value_enum)]
    pub split: Option<SplitArg>,
    /// Files or folders of sounds that are not music (speech, birdsong, noise…): the open-set
    /// rule should call them unsure. Synthesised non-music (tones, noises, clicks, silence,
    /// chirps, birdsong, speech-like) is always measured too. Repeatable.
    #[arg(long = "non-music", value_name = "PATH")]
    pub non_music: Vec<PathBuf>,
    /// Test-time augmentation, to measure whether it helps: each track's patches plus the
    /// patches shifted by half a patch (`shift`), plus the clip at -6 and +6 dB (`gain`), or
    /// both. The analysis itself uses the plain patches.
    #[arg(long, value_enum, default_value = "none")]
    pub tta: TtaArg,
}

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Labelled folder (one subfolder per genre) with an INDEX.tsv giving train/valid rows.
    pub dir: PathBuf,
    /// Model folder, or builtin:NAME (default: the built-in default model).
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// Where the model with its rule is written.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Covariance shrinkage towards the diagonal (0-1).
    #[arg(long, default_value_t = 0.3)]
    pub shrinkage: f64,
    /// Share of the held-out valid rows the distance threshold keeps.
    #[arg(long, default_value_t = 0.95)]
    pub keep_distance: f64,
    /// Share of the out-of-fold tracks the confidence threshold keeps.
    #[arg(long, default_value_t = 0.975)]
    pub keep_confidence: f64,
    /// Share of the train+valid music the music-likeness floor keeps (1: the floor is the
    /// lowest row's score; speech, which the trunk places beside rap, falls below it).
    #[arg(long, default_value_t = 1.0)]
    pub keep_music: f64,
    /// Held-out predictions the temperature is fitted on: `valid` (the valid rows by a head on
    /// the train rows: no shared artists), `cv` (K-fold by track on train+valid) or
    /// `artist-swap` (both artist-filtered directions).
    #[arg(long, value_enum, default_value = "valid")]
    pub temperature_from: TemperatureArg,
    /// The calibrated confidence at and above which a track keeps its genre however far its
    /// sound lies from the training music (0: the distance always counts).
    #[arg(long, default_value_t = crate::model::calibrate::DEFAULT_TRUST_CONFIDENCE)]
    pub trust_confidence: f32,
    /// Do not read or write the feature cache.
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TtaArg {
    None,
    Shift,
    Gain,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemperatureArg {
    Valid,
    Cv,
    ArtistSwap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    Train,
    Valid,
    /// Rows in neither split (gtzan-dev's `unlisted`).
    Unlisted,
}

#[derive(Debug, Args)]
pub struct DistillArgs {
    /// Folders (searched recursively) or files of audio; no labels are read.
    #[arg(required = true, value_name = "PATH")]
    pub sources: Vec<PathBuf>,
    /// Leave out the rows of a folder's INDEX.tsv in this split (repeatable), e.g. the splits
    /// accuracy is measured on.
    #[arg(long = "exclude-split", value_name = "SPLIT")]
    pub exclude_splits: Vec<String>,
    /// Augmented patches on top of every clip and full-track patch.
    #[arg(long, default_value_t = 24_000)]
    pub examples: usize,
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 2e-3)]
    pub learning_rate: f64,
    /// Decoupled weight decay (AdamW).
    #[arg(long, default_value_t = 1e-4)]
    pub weight_decay: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Hold every N-th file out of training to measure imitation on unseen audio (0 = none).
    #[arg(long, default_value_t = 10)]
    pub holdout_every: usize,
    /// Student block channels, e.g. 48,96,192,256 (default: the shipped architecture).
    #[arg(long, value_delimiter = ',')]
    pub channels: Option<Vec<usize>>,
    /// Student stem channels.
    #[arg(long)]
    pub stem: Option<usize>,
    /// Student hidden dense width.
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Plain 3x3 conv blocks instead of depthwise-separable ones.
    #[arg(long)]
    pub plain: bool,
    /// Output path without extension.
    #[arg(long, default_value = "models/student_musicnn", value_name = "PATH")]
    pub out: PathBuf,
    /// Do not read or write the teacher-label cache.
    #[arg(long)]
    pub no_cache: bool,
}
