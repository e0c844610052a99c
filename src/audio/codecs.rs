//! The codecs: symphonia's plus Opus through libopus (one registry for analysis, training and
//! playback), and what the decoder needs to know of a codec or a container's tracks.

use symphonia::core::codecs::{CODEC_TYPE_NULL, CodecRegistry, CodecType};
use symphonia::core::formats::Track;

/// The decoders every caller uses: symphonia's enabled codecs and Opus (libopus).
pub fn codecs() -> &'static CodecRegistry {
    static REGISTRY: std::sync::OnceLock<CodecRegistry> = std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut r = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut r);
        r.register_all::<symphonia_adapter_libopus::OpusDecoder>();
        r
    })
}

/// The output gain an Opus identification header (`OpusHead`) declares, in dB (a Q7.8
/// number at bytes 16–17); `None` when `head` is no such header.
pub fn opus_header_gain_db(head: &[u8]) -> Option<f32> {
    if head.len() < 19 || !head.starts_with(b"OpusHead") {
        return None;
    }
    let q = i16::from_le_bytes([head[16], head[17]]);
    Some(q as f32 / 256.0)
}

pub(super) fn codec_name(codec: CodecType) -> String {
    codecs()
        .get_codec(codec)
        .map(|d| d.short_name.to_string())
        .unwrap_or_else(|| format!("{codec}"))
}

/// Bytes per sample of symphonia's uncompressed codecs.
pub(super) fn pcm_sample_bytes(codec: CodecType) -> Option<u64> {
    use symphonia::core::codecs::*;
    let table: [(CodecType, u64); 38] = [
        (CODEC_TYPE_PCM_S32LE, 4),
        (CODEC_TYPE_PCM_S32LE_PLANAR, 4),
        (CODEC_TYPE_PCM_S32BE, 4),
        (CODEC_TYPE_PCM_S32BE_PLANAR, 4),
        (CODEC_TYPE_PCM_S24LE, 3),
        (CODEC_TYPE_PCM_S24LE_PLANAR, 3),
        (CODEC_TYPE_PCM_S24BE, 3),
        (CODEC_TYPE_PCM_S24BE_PLANAR, 3),
        (CODEC_TYPE_PCM_S16LE, 2),
        (CODEC_TYPE_PCM_S16LE_PLANAR, 2),
        (CODEC_TYPE_PCM_S16BE, 2),
        (CODEC_TYPE_PCM_S16BE_PLANAR, 2),
        (CODEC_TYPE_PCM_S8, 1),
        (CODEC_TYPE_PCM_S8_PLANAR, 1),
        (CODEC_TYPE_PCM_U32LE, 4),
        (CODEC_TYPE_PCM_U32LE_PLANAR, 4),
        (CODEC_TYPE_PCM_U32BE, 4),
        (CODEC_TYPE_PCM_U32BE_PLANAR, 4),
        (CODEC_TYPE_PCM_U24LE, 3),
        (CODEC_TYPE_PCM_U24LE_PLANAR, 3),
        (CODEC_TYPE_PCM_U24BE, 3),
        (CODEC_TYPE_PCM_U24BE_PLANAR, 3),
        (CODEC_TYPE_PCM_U16LE, 2),
        (CODEC_TYPE_PCM_U16LE_PLANAR, 2),
        (CODEC_TYPE_PCM_U16BE, 2),
        (CODEC_TYPE_PCM_U16BE_PLANAR, 2),
        (CODEC_TYPE_PCM_U8, 1),
        (CODEC_TYPE_PCM_U8_PLANAR, 1),
        (CODEC_TYPE_PCM_F32LE, 4),
        (CODEC_TYPE_PCM_F32LE_PLANAR, 4),
        (CODEC_TYPE_PCM_F32BE, 4),
        (CODEC_TYPE_PCM_F32BE_PLANAR, 4),
        (CODEC_TYPE_PCM_F64LE, 8),
        (CODEC_TYPE_PCM_F64LE_PLANAR, 8),
        (CODEC_TYPE_PCM_F64BE, 8),
        (CODEC_TYPE_PCM_F64BE_PLANAR, 8),
        (CODEC_TYPE_PCM_ALAW, 1),
        (CODEC_TYPE_PCM_MULAW, 1),
    ];
    table.iter().find(|(c, _)| *c == codec).map(|(_, b)| *b)
}

pub(super) fn pick_track(tracks: &[Track]) -> Option<&Track> {
    tracks
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
}
