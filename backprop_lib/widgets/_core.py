"""What every widget of the course shares: calling the student's code, drawing, the widget shell.

A widget here is three layers, so that all the arithmetic is testable without a browser:

1. a PURE compute function, ``<name>_state(...) -> State``: numbers in, a
   frozen dataclass of numbers and arrays out;
2. a static view, ``<name>_figure(state, fig=None) -> Figure``: a plain
   matplotlib figure of that state (the picture a reader of the exported
   HTML or nbviewer sees);
3. a thin :class:`Explorer` subclass: ipywidgets controls whose values are
   passed to (1), and whose picture is (2) rendered to PNG in an
   ``ipywidgets.Image``. No ipympl, no JupyterLab extension beyond the
   widgets manager that JupyterLab already has.

The student's functions
    A widget may be handed a function the student wrote in an exercise. It
    is always called through :func:`call_exercise`, which turns
    ``NotImplementedError`` (the stub of an exercise not done yet) into an
    :class:`ExerciseNotDone` whose message says which exercise to do first,
    and any other exception into one that says what went wrong; nothing
    is ever written to stderr (nbgrader scores a cell 0 for that, and a
    traceback in the middle of a lesson helps nobody).
"""
from __future__ import annotations

import base64
import contextlib
import io
import sys
import warnings
from typing import Any, Callable, Iterator, Mapping

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, LogLocator, MaxNLocator, NullLocator

#: Resolution of the pictures a widget shows; ~100 ms of drawing is the budget of one update.
DPI = 80
#: The budget of one update of a widget, in seconds (see benchmarks/bench_widgets.py).
UPDATE_BUDGET = 0.100


class ExerciseNotDone(Exception):
    """A student's function that a widget needs is not implemented yet, or raised an error.

    ``str(exc)`` is a message for the student, with no traceback.
    """


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence warnings and NumPy's floating-point messages; send stderr to stdout."""
    with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stderr(sys.stdout):
        warnings.simplefilter("ignore")
        yield


def call_exercise(fn: Callable[..., Any], exercise: str, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, quietly; a failure becomes an :class:`ExerciseNotDone`.

    ``exercise`` names the exercise for the message, e.g.
    ``"exercise 1 of lesson 01 (central_difference)"``.
    """
    name = getattr(fn, "__name__", "your function")
    try:
        with quiet():
            return fn(*args, **kwargs)
    except NotImplementedError:
        raise ExerciseNotDone(f"Implement {exercise} first: {name} still raises NotImplementedError. "
                              "Write your code, run its cell (and its self-check), "
                              "then run this cell again.") from None
    except Exception as exc:  # noqa: BLE001 - a student's error is reported, never propagated
        raise ExerciseNotDone(f"Your {name} ({exercise}) raised {type(exc).__name__}: {exc}. "
                              "Its self-check cell explains more; fix it, then run this cell again.") from None


def new_figure(size: tuple[float, float], fig: Figure | None = None) -> Figure:
    """``fig`` itself, its figure-level texts removed, or a new pyplot figure of ``size`` inches.

    Static views are made with pyplot, so that ``plt.show()`` in a lesson
    shows them; widgets pass their own pyplot-free :func:`offscreen_figure`,
    so that a drag of a slider never leaves a figure behind in pyplot. A
    widget's figure is drawn again and again: its axes are kept (see
    :func:`panel`), because making new axes and their ticks costs more than
    the rest of an update.
    """
    if fig is not None:
        for text in list(fig.texts):
            text.remove()
        return fig
    import matplotlib.pyplot as plt
    return plt.figure(figsize=size)


def panel(fig: Figure, rect: tuple[float, float, float, float]) -> Axes:
    """The axes of ``fig`` at ``rect`` (left, bottom, width, height in figure fractions).

    An axes made earlier at the same ``rect`` is emptied and returned; else a
    new one is added. Emptying keeps the axes' tick objects, which is what
    makes a redraw cheap; limits go back to automatic.
    """
    for ax in fig.axes:
        if getattr(ax, "_backprop_rect", None) == rect:
            for artist in [*ax.lines, *ax.collections, *ax.texts, *ax.images, *ax.patches, *ax.artists]:
                artist.remove()
            if ax.legend_ is not None:
                ax.legend_.remove()
            ax.set_title("")
            ax.set_autoscale_on(True)
            ax.relim()
            return ax
    ax = fig.add_axes(rect)
    ax._backprop_rect = rect  # type: ignore[attr-defined]
    return ax


def few_ticks(fig: Figure, n: int = 5) -> Figure:
    """At most about ``n`` labelled ticks per axis, no minor ticks on log axes.

    Tick labels are most of the cost of drawing a small figure: fewer of them
    keep an update of a widget well inside its budget, and read as well.
    """
    for ax in fig.axes:
        if not ax.axison:
            continue
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_locator(), FixedLocator):  # ticks chosen by hand (or none)
                continue
            if axis.get_scale() == "log":
                low, high = sorted(ax.get_xlim() if axis is ax.xaxis else ax.get_ylim())
                if low > 0 and high / low < 100:  # under two decades: matplotlib's labelled minor ticks are needed
                    continue
                axis.set_major_locator(LogLocator(numticks=n))
                axis.set_minor_locator(NullLocator())
            elif axis.get_scale() == "linear":
                axis.set_major_locator(MaxNLocator(nbins=n - 1))
    return fig


def offscreen_figure(size: tuple[float, float]) -> Figure:
    """A figure that pyplot does not know about (nothing to close, nothing shown by accident)."""
    fig = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def draw_message(fig: Figure, text: str) -> None:
    """Write ``text`` in the middle of an empty figure (the static view of a widget that cannot draw)."""
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.axis("off")
    ax.text(0.5, 0.5, wrap_text(text, 70), ha="center", va="center", fontsize=11, color="C3",
            transform=ax.transAxes)


def wrap_text(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` characters, at spaces."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return "\n".join(lines)


def notes_text(notes: tuple[str, ...]) -> str:
    """The notes of a state (exercises still to do), one per line, for a figure's footer."""
    return "\n".join(wrap_text(n, 110) for n in notes)


def draw_notes(fig: Figure, notes: tuple[str, ...]) -> None:
    """Write a state's notes in the bottom-left corner of ``fig``, boxed so that they read over an axis label."""
    if notes:
        fig.text(0.01, 0.01, notes_text(notes), fontsize=7.5, color="C3", va="bottom", zorder=10,
                 bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "C3", "alpha": 0.95})


class Explorer:
    """The ipywidgets shell of a widget: controls, a message line and a picture.

    A subclass sets ``size`` (inches), builds its controls in ``__init__`` and
    passes them to ``super().__init__``; it implements :meth:`compute`
    (control values -> state, by calling its module's pure function) and
    :meth:`draw` (state -> figure, by calling its module's static view).

    Every control's ``value`` change calls :meth:`refresh`, which never
    raises and never writes to stderr: an :class:`ExerciseNotDone` (or any
    other error) is shown in the message line instead of the picture.

    Attributes: ``ui`` (the ipywidgets box to display), ``image`` (the
    picture), ``message`` (an HTML line), ``controls`` (name -> widget),
    ``last_png`` (bytes of the last picture), ``last_error`` (text or ""), ``name``.
    """

    size: tuple[float, float] = (8.0, 3.6)
    #: CSS class of the outer box, used by the browser tests to find each widget.
    css_class = "backprop-widget"

    def __init__(self, controls: Mapping[str, Any], extra: list[Any] | None = None,
                 name: str = "widget") -> None:
        import ipywidgets as W

        self.controls = dict(controls)
        #: the widget's name: its CSS class ``backprop-<name>`` and its prefix in a URL (see url_state)
        self.name = name
        # shown at its own size (never stretched, which would blur it), narrower if the page is
        self.image = W.Image(format="png", layout=W.Layout(width=f"{round(self.size[0] * DPI)}px",
                                                           max_width="100%", height="auto"))
        self.image.add_class("backprop-plot")
        self.message = W.HTML("")
        self.message.add_class("backprop-message")
        self.last_png = b""
        self.last_error = ""
        self._fig = offscreen_figure(self.size)
        rows = _control_rows(list(self.controls.values()) + list(extra or []))
        self.ui = W.VBox(rows + [self.message, self.image])
        self.ui.add_class(self.css_class)
        self.ui.add_class(f"backprop-{name}")
        for control in self.controls.values():
            control.observe(self.refresh, names="value")
        self.refresh()

    # --- what a subclass provides ---------------------------------------------------------------
    def compute(self, **values: Any) -> Any:
        """The state for the controls' current ``values`` (a call of the module's pure function)."""
        raise NotImplementedError

    def draw(self, state: Any, fig: Figure | None = None) -> Figure:
        """The static view of ``state`` (a call of the module's ``*_figure`` function)."""
        raise NotImplementedError

    # --- the machinery ---------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The current value of every control, by name."""
        return {name: c.value for name, c in self.controls.items()}

    def state(self) -> Any:
        """The state of the widget as it is now (raises :class:`ExerciseNotDone` if it cannot be computed)."""
        with quiet():
            return self.compute(**self.values())

    def static_figure(self) -> Figure:
        """A pyplot figure of the current state: what the widget shows, for nbviewer and exported HTML."""
        with quiet():
            try:
                return self.draw(self.state())
            except Exception as exc:  # noqa: BLE001 - shown in the figure, not raised
                fig = new_figure(self.size)
                draw_message(fig, _error_text(exc))
                return fig

    def render(self) -> tuple[bytes, tuple[str, ...]]:
        """Compute the state and draw it offscreen: ``(png, notes)``. Raises on failure.

        ``notes`` are the state's messages for the student (an exercise still
        to do whose part of the picture is missing), shown above the picture.
        """
        with quiet():
            state = self.compute(**self.values())
            self.draw(state, self._fig)
            return png_bytes(self._fig), tuple(getattr(state, "notes", ()))

    def refresh(self, change: Any = None) -> None:
        """Recompute and redraw; show a message instead of the picture when that fails."""
        try:
            png, notes = self.render()
        except Exception as exc:  # noqa: BLE001 - a widget callback must never raise
            self.last_error = _error_text(exc)
            self.message.value = f'<span style="color:#b00020">⚠ {_html(self.last_error)}</span>'
            self.image.layout.display = "none"
            return
        self.last_error = ""
        self.message.value = "".join(f'<div style="color:#a05a00">⚠ {_html(n)}</div>' for n in notes)
        self.last_png = png
        self.image.value = png
        self.image.layout.display = None

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget for JupyterLab, and its picture as a PNG for viewers without a kernel."""
        bundle = self.ui._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data = dict(data)
        if self.last_png:
            data["image/png"] = base64.b64encode(self.last_png).decode("ascii")
        return data


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ExerciseNotDone):
        return str(exc)
    return f"The widget could not update: {type(exc).__name__}: {exc}"


def _html(text: str) -> str:
    import html
    return html.escape(text).replace("\n", "<br>")


def _control_rows(widgets: list[Any], per_row: int = 3) -> list[Any]:
    import ipywidgets as W
    return [W.HBox(widgets[i:i + per_row]) for i in range(0, len(widgets), per_row)]


def slider_style() -> dict[str, str]:
    """Room for a slider's description, so that labels such as "log10 h" are not cut."""
    return {"description_width": "initial"}
