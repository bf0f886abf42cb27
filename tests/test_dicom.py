"""DICOM files written by the test with pydicom, decoded the way a viewer would show them."""

import io

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.encaps import encapsulate  # noqa: E402
from pydicom.uid import (  # noqa: E402
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from fracture_edge.core import decode, pixels  # noqa: E402
from fracture_edge.core.errors import DecodeError  # noqa: E402

RAMP = np.tile(np.linspace(0, 2000, 40).astype(np.uint16), (24, 1))   # 12-bit values, left to right


def make_dicom(pixels=RAMP, photometric="MONOCHROME2", syntax=ExplicitVRLittleEndian, **attrs) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    if syntax == ExplicitVRLittleEndian:
        ds.PixelData = pixels.astype("<u2").tobytes()
    else:
        ds.PixelData = encapsulate([b"\xff\x4f\xff\x51" + b"\x00" * 64])   # not a real codestream
    for key, value in attrs.items():
        setattr(ds, key, value)
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def test_dicom_is_sniffed_and_stretched_to_8_bit(tmp_path):
    f = tmp_path / "scan.dcm"
    f.write_bytes(make_dicom())
    assert decode.sniff_format(f.read_bytes()) == "dicom"
    out = decode.decode_file(f)
    assert out.shape == RAMP.shape and out.dtype == np.uint8
    assert out[0, 0] == 0 and out[0, -1] == 255 and np.all(np.diff(out[0].astype(int)) >= 0)


def test_monochrome1_is_inverted():
    out = decode.decode_bytes(make_dicom(photometric="MONOCHROME1"))
    assert out[0, 0] == 255 and out[0, -1] == 0


def test_window_is_applied():
    out = decode.decode_bytes(make_dicom(WindowCenter=1000, WindowWidth=200))
    values = RAMP[0]
    assert np.all(out[0][values < 890] == 0) and np.all(out[0][values > 1110] == 255)
    assert 0 < out[0][np.argmin(abs(values.astype(int) - 1000))] < 255


def test_rescale_slope_intercept_comes_before_the_window():
    # The window is in rescaled units (like Hounsfield units); without the rescale, every raw
    # value would sit above it and the image would be white.
    out = decode.decode_bytes(make_dicom(RescaleSlope=1, RescaleIntercept=-1000, WindowCenter=0, WindowWidth=200))
    values = RAMP[0].astype(int) - 1000
    assert np.all(out[0][values < -110] == 0) and np.all(out[0][values > 110] == 255)


def test_voi_lut_sequence_is_applied():
    item = Dataset()
    item.LUTDescriptor = [4, 0, 8]                      # 4 entries, first value 0, 8 bits
    item.LUTData = [0, 10, 20, 255]
    item["LUTData"].VR = "US"
    pixels = np.array([[0, 1, 2, 3]], np.uint16)
    out = decode.decode_bytes(make_dicom(pixels, VOILUTSequence=pydicom.Sequence([item])))
    assert out[0].tolist() == [0, 10, 20, 255]


def test_compressed_transfer_syntax_gives_a_named_error():
    with pytest.raises(DecodeError, match=r"x\.dcm: cannot decode DICOM pixel data in transfer syntax JPEG 2000") as err:
        decode.decode_bytes(make_dicom(syntax=JPEG2000Lossless), "x.dcm")
    assert "\n" not in str(err.value)


def test_dicom_past_the_pixel_limit_is_refused(monkeypatch):
    monkeypatch.setattr(pixels, "MAX_PIXELS", 100)
    with pytest.raises(DecodeError, match="exceeds the limit"):
        decode.decode_bytes(make_dicom(), "big.dcm")


def test_dicom_without_pixels_and_broken_dicom():
    meta_only = make_dicom().replace(b"\xe0\x7f\x10\x00", b"\xe0\x7f\x11\x00")   # rename PixelData tag
    with pytest.raises(DecodeError, match="no pixel data"):
        decode.decode_bytes(meta_only, "empty.dcm")
    cut = make_dicom()[:200]                            # file cut off in its header
    with pytest.raises(DecodeError, match=r"^broken\.dcm: "):
        decode.decode_bytes(cut, "broken.dcm")


@pytest.mark.slow
def test_predict_accepts_dicom_end_to_end(tiny_exports, tmp_path, capsys):
    from fracture_edge.cli import main

    good, bad = tmp_path / "scan.dcm", tmp_path / "j2k.dcm"
    good.write_bytes(make_dicom(np.tile(RAMP, (3, 2))))
    bad.write_bytes(make_dicom(syntax=JPEG2000Lossless))
    main(["predict", str(good), "--model", str(tiny_exports / "int8" / "model.tflite")])
    line = capsys.readouterr().out.strip().split("\t")
    assert line[0] == str(good) and 0.0 <= float(line[1]) <= 1.0
    with pytest.raises(SystemExit) as exit_:
        main(["predict", str(bad), "--model", str(tiny_exports / "int8" / "model.tflite")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot decode DICOM pixel data" in err[0]
