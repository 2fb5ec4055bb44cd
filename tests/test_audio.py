"""The audio front end on the bundled RAVDESS clips and on generated signals."""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf
import torch

from emotion.audio import SAMPLE_RATE, AudioError, change_speed, load_audio, pad_or_trim, to_mono_float32, trim_silence


def tone(freq=440.0, seconds=1.0, sr=48000, amp=0.5, channels=1):
    t = np.arange(int(seconds * sr)) / sr
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(x[:, None], channels, axis=1) if channels > 1 else x


def peak_frequency(audio, sr=SAMPLE_RATE):
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    return np.fft.rfftfreq(len(audio), 1 / sr)[spectrum.argmax()]


def rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


# -- real clips ---------------------------------------------------------------


def test_example_clips_load_as_mono_float32_at_model_rate(example_clips):
    for path in example_clips:
        audio = load_audio(path)
        info = sf.info(path)
        assert audio.ndim == 1 and audio.dtype == np.float32
        assert info.samplerate == 48000
        assert abs(len(audio) - info.frames * SAMPLE_RATE / 48000) <= 1
        assert 0 < audio.std() < 1
        assert np.abs(audio).max() <= 1.0


def test_path_bytes_and_file_object_give_identical_audio(example_clips):
    path = example_clips[0]
    from_path = load_audio(path)
    data = path.read_bytes()
    np.testing.assert_array_equal(from_path, load_audio(data))
    np.testing.assert_array_equal(from_path, load_audio(io.BytesIO(data)))


def test_wav_and_flac_of_the_same_clip_are_identical(example_clips, tmp_path):
    samples, sr = sf.read(example_clips[4], dtype="int16")
    wav = tmp_path / "03-01-05-02-01-01-21.wav"
    sf.write(wav, samples, sr, subtype="PCM_16")
    np.testing.assert_array_equal(load_audio(example_clips[4]), load_audio(wav))


def test_trim_silence_on_a_ravdess_clip_keeps_the_speech(example_clips):
    audio = load_audio(example_clips[4])  # angry: loud speech between ~1 s of silence
    trimmed, (start, end) = trim_silence(audio)
    np.testing.assert_array_equal(trimmed, audio[start:end])
    assert 0 < start < end < len(audio)
    assert len(trimmed) < 0.9 * len(audio)
    assert rms(trimmed) > rms(audio)  # what was cut was the quiet part


# -- generated signals: rates, depths, channels -------------------------------


@pytest.mark.parametrize("sr", [8000, 16000, 22050, 44100, 48000, 96000])
def test_any_sample_rate_is_resampled_to_16k(tmp_path, sr):
    path = tmp_path / f"tone_{sr}.wav"
    sf.write(path, tone(440, 1.0, sr), sr, subtype="PCM_16")
    audio = load_audio(path)
    assert abs(len(audio) - SAMPLE_RATE) <= 1
    assert abs(peak_frequency(audio) - 440) < 2
    assert rms(audio) == pytest.approx(0.5 / np.sqrt(2), rel=0.03)


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_every_bit_depth_is_scaled_to_unit_range(tmp_path, subtype):
    path = tmp_path / f"tone_{subtype}.wav"
    sf.write(path, tone(440, 0.5, 16000), 16000, subtype=subtype)
    audio = load_audio(path)
    assert audio.dtype == np.float32
    assert abs(float(audio.mean())) < 0.01  # unsigned 8-bit is re-centred
    assert rms(audio) == pytest.approx(0.5 / np.sqrt(2), rel=0.03)


@pytest.mark.parametrize("channels", [2, 6])
def test_multichannel_is_averaged_to_mono(tmp_path, channels):
    x = tone(440, 0.5, 44100, channels=channels)
    x[:, 0] = 0  # one silent channel halves nothing but lowers the mean
    path = tmp_path / f"tone_{channels}ch.wav"
    sf.write(path, x, 44100)
    audio = load_audio(path)
    assert audio.ndim == 1
    assert rms(audio) == pytest.approx(0.5 / np.sqrt(2) * (channels - 1) / channels, rel=0.03)


@pytest.mark.parametrize("fmt,subtype,ext", [("FLAC", "PCM_16", "flac"), ("OGG", "VORBIS", "ogg"), ("OGG", "OPUS", "opus"), ("MP3", "MPEG_LAYER_III", "mp3")])
def test_compressed_formats_decode(tmp_path, fmt, subtype, ext):
    path = tmp_path / f"tone.{ext}"
    sf.write(path, tone(440, 1.0, 48000), 48000, format=fmt, subtype=subtype)
    audio = load_audio(path)
    assert abs(len(audio) / SAMPLE_RATE - 1.0) < 0.1  # codecs add a little padding
    assert abs(peak_frequency(audio) - 440) < 3


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
@pytest.mark.parametrize("ext,codec", [("webm", "libopus"), ("m4a", "aac")])
def test_browser_and_phone_formats_decode_through_ffmpeg(tmp_path, ext, codec):
    wav = tmp_path / "tone.wav"
    sf.write(wav, tone(440, 1.0, 48000), 48000)
    out = tmp_path / f"tone.{ext}"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(wav), "-c:a", codec, str(out)], check=True)
    audio = load_audio(out)
    assert abs(len(audio) / SAMPLE_RATE - 1.0) < 0.1
    assert abs(peak_frequency(audio) - 440) < 3


def test_max_seconds_reads_only_the_start(tmp_path):
    path = tmp_path / "long.wav"
    sf.write(path, tone(440, 10.0, 48000), 48000)
    assert len(load_audio(path, max_seconds=2.5)) == int(2.5 * SAMPLE_RATE)


# -- edge cases ---------------------------------------------------------------


def test_all_zero_audio_loads_and_trimming_keeps_it_whole(tmp_path):
    path = tmp_path / "zeros.wav"
    sf.write(path, np.zeros(16000, np.float32), 16000)
    audio = load_audio(path)
    assert len(audio) == 16000 and not audio.any()
    trimmed, span = trim_silence(audio)
    assert span == (0, 16000) and len(trimmed) == 16000


def test_trim_finds_a_tone_between_silences():
    x = np.concatenate([np.zeros(16000), tone(440, 1.0, 16000), np.zeros(8000)]).astype(np.float32)
    trimmed, (start, end) = trim_silence(x)
    assert abs(start - 16000) < 600 and abs(end - 32000) < 600  # within a few 8 ms hops
    assert len(trimmed) == end - start


def test_full_scale_clipping_stays_in_range(tmp_path):
    square = np.sign(tone(200, 1.0, 44100)).astype(np.float32)
    path = tmp_path / "clipped.wav"
    sf.write(path, square, 44100, subtype="PCM_16")
    audio = load_audio(path)
    assert np.abs(audio).max() <= 1.0 and audio.std() > 0.8


def test_float_over_full_scale_is_scaled_not_clipped():
    x = 4.0 * tone(440, 0.5, 16000)
    audio = to_mono_float32(x, 16000)
    assert np.abs(audio).max() == pytest.approx(1.0)
    assert abs(peak_frequency(audio) - 440) < 3


def test_nan_and_inf_samples_become_zero():
    x = tone(440, 0.5, 16000)
    x[100], x[200], x[300] = np.nan, np.inf, -np.inf
    audio = to_mono_float32(x, 16000)
    assert np.isfinite(audio).all()
    assert audio[100] == audio[200] == audio[300] == 0


def test_int16_array_in_memory_matches_the_file(tmp_path, example_clips):
    samples, sr = sf.read(example_clips[0], dtype="int16")
    np.testing.assert_allclose(to_mono_float32(samples, sr), load_audio(example_clips[0]), atol=1e-6)


@pytest.mark.parametrize(
    "content,name,message",
    [
        (b"", "empty.wav", "empty"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "header_only.wav", "Could not read"),
        (bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8)), "noise.wav", "Could not read"),
        (b"Hello, this is not audio.\n" * 20, "notes.txt", "Could not read"),
    ],
)
def test_undecodable_files_raise_one_clear_error(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message) as err:
        load_audio(path)
    assert name in str(err.value)


def test_missing_file_and_folder_raise_audio_error(tmp_path):
    with pytest.raises(AudioError, match="not found"):
        load_audio(tmp_path / "nope.wav")
    with pytest.raises(AudioError, match="folder"):
        load_audio(tmp_path)


def test_pad_or_trim_numpy_and_torch_agree():
    x = np.arange(10, dtype=np.float32)
    for length in (4, 10, 16):
        a = pad_or_trim(x, length)
        b = pad_or_trim(torch.from_numpy(x), length).numpy()
        assert a.shape == (length,)
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(pad_or_trim(x, 12)[10:], [0, 0])
    assert pad_or_trim(np.ones((2, 3, 5)), 7, axis=-1).shape == (2, 3, 7)


@pytest.mark.parametrize("speed", [0.9, 0.95, 1.05, 1.1])
def test_change_speed_plays_faster_or_slower_like_a_tape(speed):
    sr, n = SAMPLE_RATE, 2 * SAMPLE_RATE
    tone = np.sin(2 * np.pi * 440 * np.arange(n) / sr).astype(np.float32) * 0.5  # (N,)
    fast = change_speed(tone, speed, sr)
    assert isinstance(fast, np.ndarray) and fast.dtype == np.float32
    assert abs(len(fast) - n / speed) <= 1  # tempo: the same sound in 1/speed of the time
    spectrum = np.abs(np.fft.rfft(fast[1000:-1000] * np.hanning(len(fast) - 2000)))
    peak = np.fft.rfftfreq(len(fast) - 2000, 1 / sr)[spectrum.argmax()]
    assert peak == pytest.approx(440 * speed, abs=2)  # pitch moves with it
    batch = change_speed(torch.from_numpy(np.stack([tone, tone])), speed, sr)  # training's (B, N) tensors
    assert torch.is_tensor(batch) and batch.shape == (2, len(fast))
    np.testing.assert_allclose(batch[1].numpy(), fast, atol=1e-6)


def test_change_speed_one_is_the_input_itself_and_short_clips_survive():
    x = np.random.default_rng(0).standard_normal(160).astype(np.float32)  # 10 ms
    assert change_speed(x, 1.0) is x
    assert 140 <= len(change_speed(x, 1.1)) <= 150


# --- Dereverberation (WPE), the front end a checkpoint may declare ------------

def _frame_db(x, n=512, hop=128):
    frames = np.lib.stride_tricks.sliding_window_view(x, n)[::hop]
    return 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)


def test_dereverberate_takes_energy_off_a_halls_tail_and_keeps_dry_speech(example_clips):
    """Each example clip spoken in the benchmark's hall (pyroomacoustics, fixed draw): WPE
    lowers the energy where the dry clip is silent -- the room's tail, between and after
    words -- relative to the speech; and a dry clip comes back nearly as it was."""
    from emotion.audio import dereverberate
    from train.channels import BENCHMARK_ROOMS, heard_through, room_impulse_response

    drops = []
    for k, path in enumerate(example_clips):
        dry = load_audio(path)
        wet = heard_through(dry, *room_impulse_response(BENCHMARK_ROOMS["room_hall"], np.random.default_rng(k)))
        out = dereverberate(wet)
        assert out.dtype == np.float32 and out.shape == wet.shape and np.all(np.isfinite(out))
        level = _frame_db(dry)
        silent = level < level.max() - 50  # where the talker is quiet: what is heard there is the room
        silent &= np.arange(len(level)) > np.argmax(~silent)  # after the first word (the front silence has no tail)

        def tail_db(x):
            energy = 10 ** (_frame_db(x) / 10)
            return 10 * np.log10(energy[silent].mean() / energy[~(level < level.max() - 50)].mean())

        drops.append(tail_db(wet) - tail_db(out))
        # a dry clip: WPE finds no tail to predict; what it changes is 15 dB under the speech
        kept = dereverberate(dry)
        gain = np.dot(kept, dry) / np.dot(dry, dry)
        assert 10 * np.log10(np.sum((gain * dry) ** 2) / np.sum((kept - gain * dry) ** 2)) > 15
    assert min(drops) > 0 and np.mean(drops) > 0.4, drops


def test_dereverberate_returns_silence_and_tiny_input_unchanged():
    from emotion.audio import dereverberate

    for audio in (np.zeros(SAMPLE_RATE, np.float32), np.full(100, 0.1, np.float32)):
        assert dereverberate(audio) is audio


def test_the_front_end_dereverberates_only_when_the_checkpoint_declares_it(example_clips):
    from emotion.audio import dereverberate
    from emotion.inference import prepare

    audio = load_audio(example_clips[0])
    pre = {"sample_rate": SAMPLE_RATE, "trim": False, "trim_top_db": None, "max_seconds": 60.0}
    assert np.array_equal(prepare(audio, pre)[0], audio)
    heard, start = prepare(audio, {**pre, "dereverb": "wpe"})
    assert start == 0 and np.array_equal(heard, dereverberate(audio)) and not np.array_equal(heard, audio)


def test_weights_asking_for_an_unknown_front_end_are_refused_at_load():
    """A checkpoint from a newer version names a dereverberation this one lacks: refused when
    loaded, rather than served through a front end it was not measured with."""
    import copy

    from conftest import WEIGHTS
    from emotion.inference import EmotionRecognizer

    shipped = EmotionRecognizer.load(WEIGHTS, device="cpu")
    config = copy.deepcopy(shipped.config)
    config["preprocessing"]["dereverb"] = "wpe2"
    with pytest.raises(ValueError, match="front end this version does not have: dereverb 'wpe2'"):
        EmotionRecognizer(shipped.model, config, "cpu")
