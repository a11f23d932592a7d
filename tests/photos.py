"""Phone photos of receipts with known corners: a receipt laid on a textured desk, seen by a tilted camera, turned,
shaded from one side, tinted by a warm lamp, blurred and JPEG-compressed.

The tests and `bench/photo_accuracy.py` both make their photos here; `random_conditions` draws each condition
from a wide range, so nothing is tuned to one recipe. Pure numpy/OpenCV: it needs no file outside the project.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

BACKGROUNDS = ("wood", "fabric", "granite", "tiles", "dark", "pale")
PHONE_SIDE = 4032  # px, the longer side of a 12-megapixel phone photo


@dataclass(frozen=True)
class Conditions:
    turn: float = 0.0  # degrees, counter-clockwise
    tilt: tuple[float, float] = (0.0, 0.0)  # the camera's tilt about the paper's x and y axes, degrees
    fill: float = 0.75  # the receipt's height as a share of the photo's
    scale: float = 1.0  # photo pixels per pixel of the receipt image (less when the photo would exceed a phone's)
    background: str = "wood"
    shadow: float = 0.0  # how much light the shadow takes away (0 none .. 0.6)
    shadow_side: float = 0.0  # the direction the shadow falls from, degrees
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)  # R, G, B gains (a warm lamp: 1.0, 0.92, 0.78)
    blur: float = 0.0  # Gaussian sigma, px
    noise: float = 0.0  # sensor noise sigma, grey levels
    quality: int = 90  # JPEG quality
    seed: int = 0  # the background's texture, the shadow's place, the noise


def random_conditions(rng: np.random.Generator, *, max_turn: float = 15.0) -> Conditions:
    """A hand-held phone photo: each condition drawn independently from a wide range."""
    warm = rng.uniform(0.0, 0.25)
    return Conditions(
        turn=float(rng.uniform(-max_turn, max_turn)),
        tilt=(float(rng.uniform(-20, 20)), float(rng.uniform(-12, 12))),
        fill=float(rng.uniform(0.55, 0.9)),
        # a 12 MP phone sees a receipt at ~225-365 dpi, a messaging app's upload at less; SROIE scans are ~190-300
        scale=float(rng.uniform(0.7, 1.7)),
        background=str(rng.choice(BACKGROUNDS)),
        shadow=float(rng.choice([0.0, rng.uniform(0.15, 0.55)])),
        shadow_side=float(rng.uniform(0, 360)),
        tint=(1.0, 1.0 - warm * 0.35, 1.0 - warm),
        blur=float(rng.uniform(0.0, 1.3)),
        noise=float(rng.uniform(0.0, 6.0)),
        quality=int(rng.integers(70, 96)),
        seed=int(rng.integers(0, 2**31)),
    )


@dataclass(frozen=True)
class Photo:
    image: np.ndarray  # RGB uint8, before JPEG compression
    corners: np.ndarray  # 4 x 2 float: the paper's top-left, top-right, bottom-right, bottom-left in the photo
    conditions: Conditions
    scale: float  # photo pixels per pixel of the paper given (conditions.scale, or less to fit a phone's photo)

    def jpeg(self) -> bytes:
        """The photo as the phone saves it (the compression is part of the conditions)."""
        buffer = io.BytesIO()
        Image.fromarray(self.image).save(buffer, format="JPEG", quality=self.conditions.quality)
        return buffer.getvalue()


def photograph(paper: np.ndarray, conditions: Conditions = Conditions()) -> Photo:
    """Lay `paper` (grayscale or RGB uint8, the receipt's whole sheet) on a desk and photograph it."""
    rng = np.random.default_rng(conditions.seed)
    paper = _as_rgb(paper)
    h, w = paper.shape[:2]
    scale = min(conditions.scale, PHONE_SIDE * conditions.fill / max(h, w))  # an A4 scan is seen from further off
    if scale != 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        paper = cv2.resize(paper, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    h, w = paper.shape[:2]
    corners, size = _place(w, h, conditions, rng)
    # the paper's outer edge is half a pixel outside its first and last pixel centres
    sheet = np.float32([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]])
    homography = cv2.getPerspectiveTransform(sheet, corners)
    # the desk's texture and the light vary slowly: made at a half and an eighth of the size (a 12 MP photo in ~2 s)
    desk = _upsized(_background(conditions.background, _fraction(size, 2), rng), size)
    laid = cv2.warpPerspective(paper, homography, size, flags=cv2.INTER_LINEAR)
    alpha = cv2.warpPerspective(np.full((h, w), 1.0, np.float32), homography, size, flags=cv2.INTER_LINEAR)
    coarse = cv2.resize(alpha, _fraction(size, 8), interpolation=cv2.INTER_AREA)
    desk *= _upsized(1.0 - 0.35 * cv2.GaussianBlur(coarse, (0, 0), max(coarse.shape) / 150), size)[..., None]
    photo = desk * (1.0 - alpha[..., None]) + laid.astype(np.float32) * alpha[..., None]
    photo *= _upsized(_light(coarse.shape[::-1], conditions, rng), size)[..., None]
    photo *= np.asarray(conditions.tint, np.float32)
    if conditions.blur > 0:
        photo = cv2.GaussianBlur(photo, (0, 0), conditions.blur)
    if conditions.noise > 0:
        photo += rng.standard_normal(photo.shape, dtype=np.float32) * np.float32(conditions.noise)
    return Photo(np.clip(photo, 0, 255).astype(np.uint8), corners.astype(np.float64), conditions, scale)


def _fraction(size: tuple[int, int], divisor: int) -> tuple[int, int]:
    return max(2, size[0] // divisor), max(2, size[1] // divisor)


def _upsized(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def _as_rgb(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else np.ascontiguousarray(image[:, :, :3])


def _place(w: int, h: int, conditions: Conditions, rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, int]]:
    """Where the paper's corners land and the photo's (width, height). A pinhole camera looks down the middle of
    the photo (its principal point is the photo's centre) at the paper, turned by `turn`, tilted by `tilt` and
    moved off the axis somewhere the whole sheet stays in the picture; the sheet is `fill` of the photo's height."""
    ax, ay = (math.radians(a) for a in conditions.tilt)
    turn = math.radians(conditions.turn)
    points = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]], float)
    rz = np.array([[math.cos(turn), math.sin(turn), 0], [-math.sin(turn), math.cos(turn), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    world = points @ (rx @ ry @ rz).T
    focal = 1.6 * max(w, h)  # a phone's ~45-65 degree view, held close; the paper's centre at that distance

    def project(shift: np.ndarray) -> np.ndarray:
        moved = world + [shift[0], shift[1], 0]
        return moved[:, :2] * focal / (moved[:, 2:] + focal)

    centred = project(np.zeros(2))
    extent = np.ptp(centred, axis=0)
    size = np.array([max(extent[0] * 1.25, extent[1] / conditions.fill * 0.75), extent[1] / conditions.fill])
    size = np.maximum(size, 2 * np.abs(centred).max(axis=0) / 0.94)  # the near side looms larger: room for it
    shift = (size - extent) / 2 * rng.uniform(-0.7, 0.7, 2)
    for _ in range(20):  # off the axis the sheet's image changes a little: move it back in until it fits
        corners = project(shift) + size / 2
        if np.all(corners >= 0.02 * size) and np.all(corners <= 0.98 * size):
            break
        shift /= 2
    else:
        corners = centred + size / 2
    return corners.astype(np.float32), (int(math.ceil(size[0])), int(math.ceil(size[1])))


def _smooth_noise(size: tuple[int, int], cells: float, rng: np.random.Generator) -> np.ndarray:
    """Values in about -1..1 that vary smoothly over `cells` cells along the longer side."""
    w, h = size
    gw, gh = max(2, int(cells * w / max(w, h)) + 2), max(2, int(cells * h / max(w, h)) + 2)
    grid = rng.uniform(-1, 1, (gh, gw)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def _background(kind: str, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A desk texture, RGB float32, in a colour drawn around the kind's own."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    fine = rng.normal(0, 1, (h, w)).astype(np.float32)
    if kind == "wood":
        angle = rng.uniform(0, math.pi)
        along = x * math.cos(angle) + y * math.sin(angle)
        warp = _smooth_noise(size, 4, rng) * rng.uniform(20, 60)
        grain = np.sin((along + warp) / rng.uniform(6, 18)) * 0.5 + _smooth_noise(size, 30, rng) * 0.3
        base, spread = np.array([150, 100, 60]) * rng.uniform(0.6, 1.3), 30
        texture = grain * spread + fine * 4
    elif kind == "fabric":
        period = rng.uniform(3, 7)
        weave = np.sin(x / period * math.pi) * np.sin(y / period * math.pi)
        base, spread = rng.uniform(40, 170, 3), 18
        texture = weave * spread + _smooth_noise(size, 10, rng) * 12 + fine * 6
    elif kind == "granite":
        speckle = cv2.GaussianBlur(fine, (0, 0), rng.uniform(0.8, 2.0)) * 3
        base, spread = np.full(3, rng.uniform(70, 170)) + rng.uniform(-15, 15, 3), 40
        texture = np.clip(speckle, -1.5, 1.5) * spread + _smooth_noise(size, 8, rng) * 15
    elif kind == "tiles":
        side = rng.uniform(0.12, 0.35) * max(w, h)
        grout = ((x % side) < side * 0.03) | ((y % side) < side * 0.03)
        base, spread = rng.uniform(120, 215, 3), 60
        texture = -grout.astype(np.float32) * spread + _smooth_noise(size, 6, rng) * 10 + fine * 3
    elif kind == "dark":
        base, spread = rng.uniform(15, 60, 3), 8
        texture = _smooth_noise(size, 5, rng) * spread + fine * 3
    elif kind == "pale":  # a light desk, close to the paper: the outline is faint
        base, spread = np.full(3, rng.uniform(175, 215)) + rng.uniform(-10, 5, 3), 10
        texture = _smooth_noise(size, 6, rng) * spread + fine * 3
    else:
        raise ValueError(f"unknown background {kind!r}; one of {BACKGROUNDS}")
    return np.clip(texture[..., None] + base.astype(np.float32), 0, 255).astype(np.float32)


def _light(size: tuple[int, int], conditions: Conditions, rng: np.random.Generator) -> np.ndarray:
    """The light's gain over a (small) picture: a soft-edged shadow falling from `shadow_side`, and a gentle
    fall-off across the photo."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    side = math.radians(conditions.shadow_side)
    along = (x - w / 2) * math.cos(side) + (y - h / 2) * math.sin(side)
    span = float(np.abs(along).max())
    gain = 1.0 - rng.uniform(0.0, 0.15) * (along / span + 1) / 2  # the far side a little darker
    if conditions.shadow > 0:
        edge = rng.uniform(-0.4, 0.4) * span  # where the shadow ends, somewhere over the middle
        softness = rng.uniform(0.03, 0.12) * span
        shade = 1.0 / (1.0 + np.exp(-(along - edge) / softness))
        gain = gain * (1.0 - conditions.shadow * shade)
    return gain.astype(np.float32)
