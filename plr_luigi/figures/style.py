"""What every figure shares: the synthetic-data mark."""

from __future__ import annotations

SYNTHETIC_MARK = "SYNTHETIC DATA"


def mark_synthetic(fig) -> None:
    """A watermark that no crop of the plot area removes: diagonal, across the whole figure."""
    fig.text(0.5, 0.5, SYNTHETIC_MARK, transform=fig.transFigure, fontsize=40, color="red",
             alpha=0.18, ha="center", va="center", rotation=30, zorder=100)


def panel_title(ax, text: str, **kwargs):
    """ax.set_title at matplotlib's default place (y = 1, the top of the axes) with its
    automatic placement off. That placement lifts a title above tick labels drawn at the top
    or a y offset text, which these panels never have, and to find them it lays out every
    axis' ticks again at each layout pass and draw: a quarter of a multi-panel figure's
    drawing."""
    return ax.set_title(text, y=1.0, **kwargs)
