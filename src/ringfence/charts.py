"""Charts for the HTML reports: matplotlib figures rendered as inline SVG (no display needed)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # render to files only, whatever the machine has for a display
import matplotlib.pyplot as plt
from markupsafe import Markup
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["plt", "svg", "tidy"]


def svg(fig: Figure) -> Markup:
    """The figure as an inline ``<svg>`` element (the XML prolog dropped), and closed."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return Markup(text[text.index("<svg") :])


def tidy(ax: Axes) -> None:
    """The house style: no top and right spines."""
    ax.spines[["top", "right"]].set_visible(False)
