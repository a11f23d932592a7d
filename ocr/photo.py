"""Find a photographed receipt in its picture and flatten it: the first cleaning step (see ocr.pipeline).

A phone photo shows the receipt on a desk, seen at an angle, turned and unevenly lit. The paper's outline is
found on a small copy (the largest plausible quadrilateral among the outlines of the paper's brightness at
several levels and of the regions strong edges enclose), its sides are then measured on the full picture, and a
four-point perspective transform flattens the paper into an upright grey page of the sheet's own proportions,
the desk cut away. Shade is then divided out; a lamp's warm tint only leaves grey paper a little darker, evenly.
When no outline is clear, the page is cut to the region the text occupies. A scan (paper along the picture's
edges, or on a white lid) is recognised from four strips of its edges, in well under a millisecond, and left
exactly as it is (the same array is returned).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ocr import preprocess

Details = dict[str, Any]

_SMALL_SIDE = 400  # px, the longest side of the copy the outline is looked for on
_MIN_SHARE = 0.08  # of the picture: a smaller bright region is no receipt to flatten
_MIN_EDGE = 40.0  # Sobel magnitude (~10 grey levels a pixel): weaker all round is no outline
# An outline this share of the picture or more is a scan or a photo already cropped: left alone. Print is a less
# sure sign of the paper, so a region found by it is cut out only when that removes much.
_FILLS_PICTURE = {"outline": 0.85, "text": 0.6}


def flatten_photo(image: np.ndarray) -> tuple[np.ndarray, Details]:
    """The receipt flattened to an upright grey page, or `image` itself (a scan, or no receipt to be found).
    The details name the method ('outline' or 'text') and the corners found, in `image`'s pixels."""
    step = max(1, int(np.ceil(max(image.shape[:2]) / _SMALL_SIDE)))
    if _reaches_two_edges(image, step):
        return image, {"skipped": True, "reason": "the paper reaches the picture's edges"}
    small, scale = _sample(image, step)
    gray = preprocess.to_grayscale(small)
    closed = _closed(gray)
    found, method = _outline(small, closed), "outline"
    if found is None:
        found, method = _text_region(gray), "text"
    if found is None:
        return image, {"skipped": True, "reason": "no receipt found"}
    share = cv2.contourArea(found.astype(np.float32)) / gray.size
    if share >= _FILLS_PICTURE[method]:
        return image, {"skipped": True, "reason": "the paper fills the picture", "share": round(share, 2)}
    full = preprocess.to_grayscale(image)
    corners = found / scale
    if method == "outline":
        corners = _refined(full, corners, reach=4 / scale)
    flat = _warped(full, corners)
    # Shade is evened out as the light step does (from a 30-level range), here also when it is deeper than that
    # step allows for: all of the page is paper now. Dividing even pages too read worse (F1 -0.01 to -0.03).
    flat, light = preprocess.flatten_light(flat, max_range=256.0)
    return flat, {"method": method, "corners": np.round(corners).astype(int).tolist(),
                  "size": [flat.shape[1], flat.shape[0]], "light_evened": not light.get("skipped", False)}


def _sample(image: np.ndarray, step: int) -> tuple[np.ndarray, float]:
    """A small copy made by taking every `step`-th pixel (area-resizing a 10 MP photo costs ~5 ms, this almost
    nothing; the closing that follows smooths it), and its scale."""
    small = np.ascontiguousarray(image[::step, ::step, :3] if image.ndim == 3 else image[::step, ::step])
    return small, 1.0 / step


def _closed(channel: np.ndarray, *, longest: int | None = None) -> np.ndarray:
    """The small copy (or a strip of it `longest` px long) with print and fine texture removed: a median, then a
    grey closing about a line high."""
    size = max(3, round((longest or max(channel.shape)) / 60)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    return cv2.morphologyEx(cv2.medianBlur(channel, 5), cv2.MORPH_CLOSE, kernel)


def _reaches_two_edges(image: np.ndarray, step: int, *, share: float = 0.5, margin: float = 25.0) -> bool:
    """Whether the paper runs along two or more of the picture's edges: a scan (the paper fills it, or lies on a
    white lid, perhaps with a dark strip along a side), or a photo too close to show the whole sheet. Paper is
    within `margin` grey levels of the brightest 2 %, along the edge after a closing that removes print touching
    it. On the 300 SROIE scans 290 pass (the others cost a search), on 250 generated photos none does (a pale desk
    is 40-80 levels darker than the paper on it). Only sparse pixels and four strips are looked at: ~0.2 ms."""
    grid = image[::step, ::step]
    sparse = cv2.medianBlur(preprocess.to_grayscale(np.ascontiguousarray(grid[::2, ::2])), 3)
    paper = preprocess.percentile(sparse, 98)
    depth = 2 * (max(3, round(max(grid.shape[:2]) / 60)) | 1)
    strips = (grid[:depth], grid[-depth:][::-1],
              grid[:, :depth].swapaxes(0, 1), grid[:, -depth:][:, ::-1].swapaxes(0, 1))
    shares = []
    for strip in strips:  # each with the picture's edge as its first rows
        closed = _closed(preprocess.to_grayscale(np.ascontiguousarray(strip)), longest=max(grid.shape[:2]))
        shares.append(float(np.mean(closed[:2] >= paper - margin)))
    return sorted(shares)[-2] >= share


def _outline(small: np.ndarray, closed: np.ndarray) -> np.ndarray | None:
    """The paper's corners (top-left, top-right, bottom-right, bottom-left, in `small`'s pixels), or None.

    `closed` is the small grey copy closed (see _closed). On the brightness and on the whiteness (the darkest of the
    three colours: low for wood or a coloured cloth, high for paper under any lamp), regions are outlined (see
    _masks) and simplified to polygons. Of the convex quadrilaterals with plausible corners that are brighter
    inside than around, those whose weakest side runs along an edge nearly as strong as the best one's do are
    kept (a bit of desk stuck to the sheet, or a shadow's soft edge, makes a weak side), and the largest wins.
    """
    channels = [closed] if small.ndim == 2 else [closed, _closed(small.min(axis=2))]
    found: list[tuple[float, float, np.ndarray]] = []  # (weakest side's edge strength, area, corners)
    for channel in channels:
        strength, seen = _edge_strength(channel), set()
        for mask in _masks(channel):
            contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
            for contour in contours:
                quad = _quadrilateral(contour, channel.shape)
                if quad is None or quad.tobytes() in seen:  # several levels often give the same one
                    continue
                seen.add(quad.tobytes())
                if _brighter_inside(channel, quad):
                    found.append((_weakest_side(strength, quad), cv2.contourArea(quad), quad))
    strongest = max((edge for edge, _, _ in found), default=0.0)
    if strongest < _MIN_EDGE:
        return None
    best = max((item for item in found if item[0] >= 0.7 * strongest), key=lambda item: item[1])
    return _ordered(best[2].reshape(4, 2).astype(np.float64))


def _edge_strength(closed: np.ndarray) -> np.ndarray:
    """Gradient magnitude, spread by two pixels each way (an outline found at a level runs within a pixel of the
    edge, the inside of an edge's outline within two)."""
    gx = cv2.Sobel(closed, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(closed, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.dilate(cv2.magnitude(gx, gy), np.ones((5, 5), np.uint8))


def _weakest_side(strength: np.ndarray, quad: np.ndarray) -> float:
    """The edge strength most of each side reaches (its lower quartile), for the weakest side."""
    points = quad.reshape(4, 2).astype(np.float64)
    along = np.linspace(0.05, 0.95, 40)[:, None]
    sides = []
    for start, end in zip(points, np.roll(points, -1, axis=0), strict=True):
        xy = np.rint(start + along * (end - start)).astype(int)
        values = strength[np.clip(xy[:, 1], 0, strength.shape[0] - 1), np.clip(xy[:, 0], 0, strength.shape[1] - 1)]
        sides.append(float(np.percentile(values, 25)))
    return min(sides)


def _masks(closed: np.ndarray):
    """What is brighter than Otsu's level and than levels spread between the desk's brightness and the paper's;
    and each large region enclosed by strong edges, grown back over its edge (a shadow across the sheet splits it
    at every level, but its soft edge is no strong edge)."""
    otsu, _ = cv2.threshold(closed, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    low, high = preprocess.percentile(closed, 5), preprocess.percentile(closed, 97)
    for level in [otsu, *np.linspace(low, high, 8)[1:-1]]:
        yield (closed >= level).astype(np.uint8)
    edges = cv2.dilate(cv2.Canny(closed, 20, 60), np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats((edges == 0).astype(np.uint8), connectivity=4)
    for label in np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= _MIN_SHARE * closed.size):
        yield cv2.dilate((labels == label).astype(np.uint8), np.ones((7, 7), np.uint8))


def _quadrilateral(contour: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """The contour's convex hull as four corners, when it is one: large enough, clear of the picture's edges (a
    sheet touching them is not whole in the picture; a lit part of the desk is), with corners of 50-130 degrees
    and opposite sides of similar length (a sheet seen at a hand-held angle)."""
    height, width = shape[:2]
    if cv2.contourArea(contour) < _MIN_SHARE * height * width:
        return None
    x, y, w, h = cv2.boundingRect(contour)
    if x <= 0 or y <= 0 or x + w >= width or y + h >= height:
        return None
    hull = cv2.convexHull(contour)
    quad = cv2.approxPolyDP(hull, 0.03 * cv2.arcLength(hull, True), True)
    if len(quad) != 4 or not cv2.isContourConvex(quad):
        return None
    if cv2.contourArea(contour) < 0.9 * cv2.contourArea(quad):
        return None  # a sheet and a bit of the desk beside it at this level
    points = quad.reshape(4, 2).astype(np.float64)
    sides = np.roll(points, -1, axis=0) - points
    lengths = np.linalg.norm(sides, axis=1)
    for i in range(4):
        cosine = -np.dot(sides[i], sides[i - 1]) / (lengths[i] * lengths[i - 1] + 1e-9)
        if abs(cosine) > 0.64:  # outside 50-130 degrees
            return None
    if min(lengths[0], lengths[2]) < 0.6 * max(lengths[0], lengths[2]) \
            or min(lengths[1], lengths[3]) < 0.6 * max(lengths[1], lengths[3]):
        return None
    return quad


def _brighter_inside(closed: np.ndarray, quad: np.ndarray, *, margin: float = 12.0) -> bool:
    """Whether the paper inside the quadrilateral is brighter than a band 3-7 px around it (a desk's tile or plank
    outline is not)."""
    x, y, w, h = cv2.boundingRect(quad)
    left, top = max(0, x - 8), max(0, y - 8)
    closed = closed[top:y + h + 8, left:x + w + 8]  # only the neighbourhood is looked at
    inside = np.zeros(closed.shape, np.uint8)
    cv2.fillConvexPoly(inside, quad.reshape(-1, 2).astype(np.int32) - [left, top], 1)
    band = (cv2.dilate(inside, np.ones((15, 15), np.uint8)) > 0) & (cv2.dilate(inside, np.ones((5, 5), np.uint8)) == 0)
    if not band.any():
        return True
    return float(np.median(closed[inside > 0])) >= float(np.median(closed[band])) + margin


def _ordered(points: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left (the paper turned by less than 45 degrees)."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    points = points[np.argsort(angles)]  # clockwise on screen, starting anywhere
    first = int(np.argmin(points.sum(axis=1)))  # top-left: smallest x + y
    return np.roll(points, -first, axis=0)


def _refined(gray: np.ndarray, corners: np.ndarray, *, reach: float) -> np.ndarray:
    """The corners moved onto the paper's edges measured on the full picture: along each side, the strongest
    brightness step across it within `reach` px is found at ~40 places, a line is fitted through them (robust to
    print near the edge), and neighbouring lines meet at the corners."""
    lines = []
    for i in range(4):
        start, end = corners[i], corners[(i + 1) % 4]
        direction = (end - start) / (np.linalg.norm(end - start) + 1e-9)
        normal = np.array([-direction[1], direction[0]])
        along = np.linspace(0.1, 0.9, 40)[:, None]
        offsets = np.arange(-reach, reach + 0.5, 0.5)
        centres = start + along * (end - start)
        samples = centres[:, None, :] + offsets[None, :, None] * normal
        profile = cv2.GaussianBlur(
            cv2.remap(gray, samples[..., 0].astype(np.float32), samples[..., 1].astype(np.float32), cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_REPLICATE).astype(np.float32), (0, 0), sigmaX=2.0, sigmaY=0.01)
        step = np.abs(np.diff(profile, axis=1))
        at = np.argmax(step, axis=1)
        edge = centres + (offsets[at] + 0.25)[:, None] * normal
        vx, vy, x0, y0 = cv2.fitLine(edge.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    refined = np.array([_meet(lines[i - 1], lines[i]) for i in range(4)])
    moved = np.linalg.norm(refined - corners, axis=1)
    return refined if np.all(moved <= 2 * reach) else corners


def _meet(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    (p, u), (q, v) = first, second
    t = np.linalg.solve(np.column_stack([u, -v]), q - p)
    return p + t[0] * u


def _warped(gray: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The quadrilateral mapped onto an upright rectangle of the sheet's proportions (see _sheet_size)."""
    width, height = _sheet_size(corners, centre=(np.array(gray.shape[1::-1]) - 1) / 2)
    target = np.array([[-0.5, -0.5], [width - 0.5, -0.5], [width - 0.5, height - 0.5], [-0.5, height - 0.5]],
                      np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(gray, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def _sheet_size(corners: np.ndarray, centre: np.ndarray) -> tuple[int, int]:
    """(width, height) of the flattened sheet: as high as its longer upright side, as wide as its true proportions
    make it. The proportions are recovered from the perspective with the camera's focal length estimated from the
    quadrilateral, its principal point at the picture's centre (Zhang and He, "Whiteboard scanning and image
    enhancement", 2007); when the sides are near parallel, or the estimate is implausible, they are the sides'."""
    tl, tr, br, bl = corners
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    sides = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)) / height
    m1, m2, m3, m4 = (np.append(point - centre, 1.0) for point in (tl, tr, bl, br))
    k2 = np.dot(np.cross(m1, m4), m3) / np.dot(np.cross(m2, m4), m3)
    k3 = np.dot(np.cross(m1, m4), m2) / np.dot(np.cross(m3, m4), m2)
    n2, n3 = k2 * m2 - m1, k3 * m3 - m1  # the sheet's top and left sides as vanishing directions
    ratio = sides
    if abs(n2[2] * n3[2]) > 1e-12:
        focal2 = -(n2[0] * n3[0] + n2[1] * n3[1]) / (n2[2] * n3[2])
        if focal2 > 0:
            scale = np.array([1.0, 1.0, focal2])  # (A^-T A^-1) for A = diag(f, f, 1) about the centre, times f^2
            proportion = np.sqrt(np.dot(n2 * scale, n2) / np.dot(n3 * scale, n3))
            ratio = proportion if sides / 1.5 < proportion < sides * 1.5 else sides
    return max(1, round(height * ratio)), max(1, round(height))


def _text_region(gray: np.ndarray, *, min_lines: int = 3) -> np.ndarray | None:
    """The corners of the turned rectangle around all the print, two lines' height wider all round, or None.
    Print is thin dark strokes joined along the line into text lines at least twice as long as high. All of it
    is kept, so a line of the receipt is never cut off; a desk's grain taken for print only makes the region
    larger, and a region that fills the picture is left alone."""
    ink = preprocess.ink_mask(gray)
    reach = max(3, round(max(gray.shape) / 40))
    lines = cv2.dilate(ink, np.ones((1, reach), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    widths, heights = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    text = np.flatnonzero((widths >= 2 * heights) & (heights >= 2) & (widths >= 2 * reach)) + 1
    if text.size < min_lines:
        return None
    ys, xs = np.nonzero(np.isin(labels, text))
    (cx, cy), (w, h), angle = cv2.minAreaRect(np.column_stack([xs, ys]).astype(np.float32))
    margin = 4 * float(np.median(heights[text - 1]))
    box = cv2.boxPoints(((cx, cy), (w + margin, h + margin), angle))
    limit = np.array([gray.shape[1] - 1, gray.shape[0] - 1], np.float64)
    return _ordered(np.clip(box.astype(np.float64), 0, limit))
