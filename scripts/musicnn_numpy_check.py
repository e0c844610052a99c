#!/usr/bin/env python3
"""Pure-numpy re-implementation of the MSD_musicnn inference graph.

This is the executable proof of scripts/MUSICNN_ARCH.md: it reads only
models/musicnn_msd.safetensors and the fixtures in tests/fixtures/musicnn_ref/,
runs the forward pass exactly as described in the doc (NCHW, burn weight
layouts obtained by permuting the TF tensors), and compares every stored
reference tensor with the TensorFlow outputs.  It also re-implements the
front end (WAV -> STFT -> Slaney mel -> float16 cast -> log) in numpy.

Needs only numpy + safetensors (the venv from requirements-musicnn.txt works):

    /work/venv-musicnn/bin/python scripts/musicnn_numpy_check.py
    # optionally dump every intermediate (float32) for debugging a port:
    /work/venv-musicnn/bin/python scripts/musicnn_numpy_check.py --dump /tmp/musicnn_layers.safetensors
"""

import argparse
import sys
import wave
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from safetensors.numpy import load_file, save_file

REPO = Path(__file__).resolve().parent.parent
WEIGHTS = REPO / "models" / "musicnn_msd.safetensors"
REF_DIR = REPO / "tests" / "fixtures" / "musicnn_ref"

EPS = 1e-3
SR, N_FFT, HOP, N_MELS = 16000, 512, 256, 96
TOL = 1e-4


# ----------------------------------------------------------------- helpers --
def tf_same_pad(k):
    """TF 'SAME' padding for stride 1: total k-1, the extra one at the end."""
    total = k - 1
    return total // 2, total - total // 2


def conv2d_nchw(x, w, b, pad_tb=(0, 0), pad_lr=(0, 0)):
    """x [B,Cin,H,W], w [Cout,Cin,kh,kw] (burn layout), zero padding."""
    x = np.pad(x, ((0, 0), (0, 0), pad_tb, pad_lr))
    kh, kw = w.shape[2:]
    win = sliding_window_view(x, (kh, kw), axis=(2, 3))  # [B,Cin,Ho,Wo,kh,kw]
    return np.einsum("bchwij,ocij->bohw", win, w, optimize=True) + b[None, :, None, None]


def conv1d_ncl(x, w, b, pad=(0, 0)):
    """x [B,Cin,T], w [Cout,Cin,k] (burn Conv1d layout), zero padding."""
    x = np.pad(x, ((0, 0), (0, 0), pad))
    win = sliding_window_view(x, w.shape[2], axis=2)  # [B,Cin,To,k]
    return np.einsum("bctk,ock->bot", win, w, optimize=True) + b[None, :, None]


def bn(x, p, prefix):
    """Inference batch norm over axis 1 (channels)."""
    shape = [1, -1] + [1] * (x.ndim - 2)
    g, be = p[prefix + ".gamma"], p[prefix + ".beta"]
    m, v = p[prefix + ".moving_mean"], p[prefix + ".moving_variance"]
    return ((x - m.reshape(shape)) / np.sqrt(v.reshape(shape) + EPS)) * g.reshape(shape) + be.reshape(shape)


def relu(x):
    return np.maximum(x, 0.0)


def tf_conv_to_burn2d(k):
    """TF [kh, kw, in, out] -> burn Conv2d [out, in, kh, kw]."""
    return np.transpose(k, (3, 2, 0, 1))


def tf_conv_to_burn1d(k):
    """TF [7, C, 1, out] (mid-end 'full-width' conv) -> burn Conv1d [out, C, 7]."""
    return np.transpose(k[:, :, 0, :], (2, 1, 0))


# ----------------------------------------------------------------- network --
def forward(patches, P):
    """patches [B, 187, 96] -> dict of all intermediates (float64)."""
    P = {k: v.astype(np.float64) for k, v in P.items()}
    out = {}
    x = patches.astype(np.float64)[:, None, :, :]  # NCHW [B,1,T=187,F=96]
    x = bn(x, P, "frontend.input_bn")
    out["input_bn"] = x[:, 0]

    # timbral branches: zero-pad time 3/3 (after the input BN), valid conv,
    # ReLU, BN, max over the whole remaining mel axis
    for name in ("timbral_f74", "timbral_f77"):
        w = tf_conv_to_burn2d(P[f"frontend.{name}.conv.kernel"])
        y = relu(conv2d_nchw(x, w, P[f"frontend.{name}.conv.bias"], pad_tb=(3, 3)))
        y = bn(y, P, f"frontend.{name}.bn")  # [B,204,187,59|30]
        out[name] = y.max(axis=3)  # [B,204,187]

    # temporal branches: TF 'same' conv with kernel [k,1] (pad top/bottom
    # (k-1)//2 and k//2, nothing on the mel axis), ReLU, BN, max over mel
    for name in ("temporal_s1", "temporal_s2", "temporal_s3"):
        w = tf_conv_to_burn2d(P[f"frontend.{name}.conv.kernel"])
        y = relu(conv2d_nchw(x, w, P[f"frontend.{name}.conv.bias"], pad_tb=tf_same_pad(w.shape[2])))
        y = bn(y, P, f"frontend.{name}.bn")  # [B,51,187,96]
        out[name] = y.max(axis=3)  # [B,51,187]

    fe = np.concatenate([out[n] for n in ("timbral_f74", "timbral_f77", "temporal_s1",
                                          "temporal_s2", "temporal_s3")], axis=1)
    out["frontend"] = fe  # [B,561,187]

    # mid-end: three 1-D convs over time (k=7, zero pad 3/3), ReLU, BN,
    # residual add (after BN) for layers 2 and 3
    def mid(h, i):
        w = tf_conv_to_burn1d(P[f"midend.conv{i}.conv.kernel"])
        y = relu(conv1d_ncl(h, w, P[f"midend.conv{i}.conv.bias"], pad=(3, 3)))
        return bn(y, P, f"midend.conv{i}.bn")

    m1 = mid(fe, 1)
    m2 = mid(m1, 2) + m1
    m3 = mid(m2, 3) + m2
    out["midend1"], out["midend2"], out["midend3"] = m1, m2, m3
    mc = np.concatenate([fe, m1, m2, m3], axis=1)  # [B,753,187]
    out["midend_concat"] = mc

    # back-end
    mx, mn = mc.max(axis=2), mc.mean(axis=2)  # [B,753] each
    out["max_pool"], out["mean_pool"] = mx, mn
    flat = np.stack([mx, mn], axis=2).reshape(mc.shape[0], -1)  # interleaved [B,1506]
    out["pooled_flat"] = flat
    h = bn(flat, P, "backend.pool_bn")
    out["pooled_bn"] = h
    h = relu(h @ P["backend.dense1.kernel"] + P["backend.dense1.bias"])  # dropout = identity
    out["dense_relu"] = h
    h = bn(h, P, "backend.dense1_bn")
    out["penultimate"] = h
    logits = h @ P["backend.dense2.kernel"] + P["backend.dense2.bias"]  # dropout = identity
    out["logits"] = logits
    out["taggram"] = 1.0 / (1.0 + np.exp(-logits))
    for n in ("timbral_f74", "timbral_f77", "temporal_s1", "temporal_s2", "temporal_s3",
              "midend1", "midend2", "midend3"):
        out[n + "_chsum"] = out[n].sum(axis=1)  # [B,187]
    return out


# --------------------------------------------------------------- front end --
def hz_to_mel_slaney(f):
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz, min_log_mel, logstep = 200.0 / 3, 1000.0, 15.0, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)


def mel_to_hz_slaney(m):
    m = np.asarray(m, dtype=np.float64)
    f_sp, min_log_hz, min_log_mel, logstep = 200.0 / 3, 1000.0, 15.0, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def slaney_mel_basis(sr=SR, n_fft=N_FFT, n_mels=N_MELS):
    fft_f = np.linspace(0, sr / 2, 1 + n_fft // 2)
    mel_f = mel_to_hz_slaney(np.linspace(hz_to_mel_slaney(0.0), hz_to_mel_slaney(sr / 2), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_f[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    w = np.maximum(0, np.minimum(lower, upper))
    w *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return w  # [96, 257]


def read_wav_pcm16(path):
    with wave.open(str(path), "rb") as f:
        assert f.getnchannels() == 1 and f.getsampwidth() == 2 and f.getframerate() == SR
        pcm = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768.0  # what soundfile/librosa.load returns


def mel_power(y, mel_basis):
    """librosa 0.10 melspectrogram: center=True with pad_mode='constant' (zeros),
    periodic Hann window, |rfft|^2, then mel_basis @ power.  Returns [frames, 96]."""
    yp = np.pad(y.astype(np.float64), (N_FFT // 2, N_FFT // 2), mode="constant")
    n_frames = 1 + len(y) // HOP
    frames = sliding_window_view(yp, N_FFT)[::HOP][:n_frames]  # [frames, 512]
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)  # periodic hann
    spec = np.abs(np.fft.rfft(frames * win, axis=1)) ** 2  # [frames, 257]
    return spec @ mel_basis.astype(np.float64).T


def musicnn_log(mel):
    """musicnn: mel.astype(float16) then log10(10000*x + 1) evaluated in float32."""
    x16 = mel.astype(np.float32).astype(np.float16).astype(np.float32)
    return np.log10(np.float32(10000) * x16 + np.float32(1))


# -------------------------------------------------------------------- main --
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", help="write all intermediates (float32) to this safetensors file")
    args = ap.parse_args()

    P = load_file(str(WEIGHTS))
    R = load_file(str(REF_DIR / "reference.safetensors"))
    failures = []

    def report(name, got, want, tol, relative=False, magnitude=None):
        """Prints max|err| and 'scaled' = max(|err| / max(1, magnitude)).
        Criterion: max|err| <= tol, or with relative=True scaled <= tol,
        with magnitude = |ref| by default (used for un-normalised features that
        reach ~85, where float32 itself only has ~1e-5 absolute resolution)."""
        diff = np.abs(np.asarray(got, np.float64) - want.astype(np.float64))
        err = float(diff.max())
        mag = np.abs(want.astype(np.float64)) if magnitude is None else magnitude
        scaled = float((diff / np.maximum(1.0, mag)).max())
        ok = (scaled if relative else err) <= tol
        print(f"  {name:22s} {str(list(want.shape)):14s} max|err| {err:.3e}  "
              f"scaled {scaled:.3e}  max|ref| {float(np.abs(want).max()):8.3f}  "
              f"{'ok' if ok else 'FAIL'}")
        if not ok:
            failures.append(name)
        return err

    print("front end (numpy STFT/mel vs librosa 0.10.2):")
    mb = slaney_mel_basis()
    report("mel_basis", mb, R["mel_basis"], 1e-6)
    y = read_wav_pcm16(REF_DIR / "input.wav")
    mel = mel_power(y, R["mel_basis"])
    lm = musicnn_log(mel)
    n_diff = int(np.sum(lm != R["logmel"]))
    print(f"  logmel: {lm.shape[0]} frames; {n_diff}/{lm.size} values differ from librosa "
          f"(float16 rounding boundary flips)")
    report("logmel", lm, R["logmel"], 1e-3)
    lm_nof16 = np.log10(10000 * mel + 1)
    report("logmel (no f16 cast)", lm_nof16, R["logmel"], 1e-2)
    report("patches[0]==logmel", R["patches"][0], R["logmel"][:187], 0.0)

    print("network (numpy float64 vs TensorFlow float32), 2 patches:")
    out = forward(R["patches"], P)
    worst = 0.0
    for k in ("taggram", "logits", "penultimate", "dense_relu"):
        worst = max(worst, report(k, out[k], R[k], TOL))
    print(f"  => max abs error on the network outputs: {worst:.3e} (tolerance {TOL:g})")
    for k in ["pooled_bn", "max_pool", "mean_pool"]:
        report(k, out[k], R[k], TOL, relative=True)
    for k in sorted(x for x in R if x.endswith("_chsum")):
        # a channel sum can cancel; its float32 error scales with sum_c |x_c|
        absum = np.abs(out[k[:-len("_chsum")]]).sum(axis=1)
        report(k, out[k], R[k], TOL, relative=True, magnitude=absum)
    if args.dump:
        save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}, args.dump,
                  metadata={"layout": "NCHW / [B,C,T]; see scripts/MUSICNN_ARCH.md"})
        print(f"wrote {args.dump}")
    if failures:
        print("FAILED:", ", ".join(failures))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
