"""The colour system of every figure: colour-blind-safe palettes, how distinct two colours look to a person with a
colour-vision deficiency, colours for series that are no registered strategy (a ban variant, a study series) kept
apart from the strategies drawn beside them, a spread of many configurations of one model, and the per-theme line
widths and marker sizes (presentation mode: thicker lines, bigger markers).

Palettes: Okabe & Ito (2008, "Color Universal Design"), Paul Tol's *bright* and *muted* qualitative schemes
(Tol 2021, "Colour Schemes", SRON/EPS/TN/09-002). Distinctness: each colour is simulated under protanopia,
deuteranopia and tritanopia (Machado, Oliveira & Fernandes 2009, severity 1.0, applied in linear sRGB) and in
normal vision; the distance of two colours is the smallest CIE76 difference

    dE(a, b) = min over vision v of || Lab(sim_v(a)) - Lab(sim_v(b)) ||_2

in CIELAB (D65). Two lines at dE >= :data:`MIN_DELTA_E` are told apart by every simulated viewer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
TOL_BRIGHT = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB")
TOL_MUTED = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499")
# the order series that are no strategy take their colours in (Tol muted first: it avoids the strategies' hues)
SERIES = ("#332288", "#117733", "#882255", "#999933", "#44AA99", "#AA4499", "#88CCEE", "#DDCC77", "#CC6677",
          "#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377")
MIN_DELTA_E = 12.0  # least simulated difference between two strategies drawn side by side
DARK_INK = {"#000000": "#F0F0F0"}  # black on a dark background becomes near-white

# Machado et al. 2009, severity 1.0, on linear RGB
_CVD = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                 [0.0193339, 0.1191920, 0.9503041]])
_WHITE = np.array([0.95047, 1.0, 1.08883])


def rgb(color: str) -> tuple[int, int, int]:
    """(r, g, b) in 0..255 of ``#rrggbb`` or ``rgb(r, g, b)`` / ``rgba(r, g, b, a)``."""
    s = color.strip()
    if s.startswith("#") and len(s) == 7:
        return int(s[1:3], 16), int(s[3:5], 16), int(s[5:7], 16)
    if s.startswith("rgb"):
        parts = s[s.index("(") + 1:s.index(")")].split(",")
        return int(float(parts[0])), int(float(parts[1])), int(float(parts[2]))
    raise ValueError(f"not a colour: {color!r}")


def hex_color(r: float, g: float, b: float) -> str:
    return "#" + "".join(f"{int(round(min(255, max(0, x)))):02X}" for x in (r, g, b))


def _linear(c: np.ndarray) -> np.ndarray:
    c = c / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(lin: np.ndarray) -> np.ndarray:
    xyz = (_XYZ @ np.clip(lin, 0.0, 1.0)) / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str) -> float:
    """The smallest CIE76 difference of ``a`` and ``b`` over normal vision and the three simulated dichromacies
    (module docstring)."""
    la, lb = _linear(np.array(rgb(a), float)), _linear(np.array(rgb(b), float))
    out = float(np.linalg.norm(_lab(la) - _lab(lb)))
    for m in _CVD.values():
        out = min(out, float(np.linalg.norm(_lab(m @ la) - _lab(m @ lb))))
    return out


def min_delta_e(colors: Sequence[str]) -> float:
    """The smallest pairwise :func:`delta_e` of ``colors`` (inf for fewer than two)."""
    cs = list(colors)
    return min((delta_e(cs[i], cs[j]) for i in range(len(cs)) for j in range(i + 1, len(cs))),
               default=float("inf"))


def ink(color: str, *, dark: bool) -> str:
    """``color`` as drawn on the theme's background: black becomes near-white on dark."""
    return DARK_INK.get(color.upper(), color) if dark else color


def distinct_series(names: Sequence[str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """A colour per name from :data:`SERIES`, each at least :data:`MIN_DELTA_E` from every ``reserved`` colour (the
    strategies drawn in the same figure) and from the names before it, where the palette allows (else the most
    distinct colour left)."""
    taken = [c for c in reserved]
    out: dict[str, str] = {}
    for name in names:
        pool = [c for c in SERIES if c not in taken] or list(SERIES)
        ok = [c for c in pool if all(delta_e(c, t) >= MIN_DELTA_E for t in taken)]
        pick = ok[0] if ok else max(pool, key=lambda c: min((delta_e(c, t) for t in taken), default=0.0))
        out[name] = pick
        taken.append(pick)
    return out


def spread(count: int) -> list[str]:
    """``count`` colours for configurations of one model, as far apart as the palettes allow: Okabe-Ito's seven
    hues (no black), then Tol's muted and bright; beyond those, the same hues again (the hover names them)."""
    base = [c for c in OKABE_ITO if c != "#000000"] + [c for c in TOL_MUTED + TOL_BRIGHT
                                                      if c not in OKABE_ITO and c != "#BBBBBB"]
    return [base[i % len(base)] for i in range(count)]


def shades(color: str, count: int) -> list[str]:
    """``count`` shades of one hue from dark to light (the same hue, lightness 35% to 80% of the way to white for the
    last), for configurations of one model when several models share a chart."""
    if count <= 1:
        return [color]
    r, g, b = rgb(color)
    out = []
    for i in range(count):
        t = -0.35 + 1.05 * i / (count - 1)  # < 0: darker (towards black), > 0: lighter (towards white)
        if t < 0:
            out.append(hex_color(r * (1 + t), g * (1 + t), b * (1 + t)))
        else:
            out.append(hex_color(r + (255 - r) * t, g + (255 - g) * t, b + (255 - b) * t))
    return out


def line_width(*, presentation: bool, main: bool = True) -> float:
    """A strategy's line width (main) or a pure configuration's (muted); thicker in presentation mode."""
    if main:
        return 5.0 if presentation else 3.0
    return 2.5 if presentation else 1.5


def marker_size(*, presentation: bool) -> int:
    return 11 if presentation else 6


def band_opacity(*, presentation: bool, dark: bool) -> float:
    """A 95% band's fill opacity: a little higher on dark backgrounds and on a projector, where a faint band
    disappears (several overlapping bands must not turn to mud: the edges carry the contrast, :func:`band_edge`)."""
    return 0.18 + (0.04 if dark else 0.0) + (0.04 if presentation else 0.0)


def band_edge(*, presentation: bool, dark: bool) -> float:
    """A band's edge line width: drawn in dark mode and on a projector (high contrast), none on light screens."""
    return 1.5 if (dark or presentation) else 0.0
