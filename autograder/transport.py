"""The course-library types that travel between a grading kernel and the grader as plain data.

The grader judges outside the kernel (:mod:`autograder.verify`), so an object
of the course library that a student's function receives or returns (a
``Value`` node, a training ``Recipe``) must cross as data. Which of its
attributes are data, with their types, which hold other such objects, and how
the grader rebuilds one with its own code is the grader's business, so it is
described here, on the grader's side, and the library a student reads carries
no trace of it.

Both sides use this table: :mod:`autograder.remote` (in the kernel) to encode,
:mod:`autograder.verify` (in the grader) to type-check and rebuild.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class DataObject:
    """How one library class travels.

    ``fields``  attribute -> type: the data, type-checked by the grader;
    ``links``   attributes holding a tuple of other objects of the same class;
    ``rebuild`` makes a new instance from checked ``fields`` with the grader's
                own code (None: the class is a dataclass, ``cls(**fields)``).
    """

    fields: dict[str, type]
    links: tuple[str, ...] = ()
    rebuild: Callable[..., Any] | None = None


def _made_elsewhere(dout: float) -> tuple[float, ...]:
    """The backward of a node rebuilt from a kernel's data: its local derivatives stayed there."""
    raise TypeError("this node was made in a grading kernel and rebuilt from its data alone: "
                    "its local derivatives stayed in the kernel")


def _rebuild_value(data: float, grad: float, label: str, op: str) -> Any:
    """A ``Value`` made in a grading kernel, rebuilt from checked data; the grader sets its parents after."""
    from backprop_lib.nn.engine import Value

    node = Value(data, label, op=op, _backward=_made_elsewhere)
    node.grad = grad
    return node


#: ``"module:qualname"`` -> how that class travels. A class not named here does not travel.
DATA_OBJECTS: dict[str, DataObject] = {
    "backprop_lib.nn.engine:Value": DataObject(
        fields={"data": float, "grad": float, "label": str, "op": str},
        links=("_parents",), rebuild=_rebuild_value),
    "backprop_lib.lessons.xor:Recipe": DataObject(
        fields={"hidden": int, "init": str, "scale": float, "lr": float, "loss": str, "epochs": int}),
    # lesson 05's grad_check problem: how often its loss ran in the kernel comes back
    "backprop_lib.exercises.lesson05:_Problem": DataObject(fields={"calls": int}),
    # lesson 09's probe of a training loop: which array got a zero gradient, and how far it moved in the kernel
    "backprop_lib.exercises.lesson09:_ZeroGradientProbe": DataObject(fields={
        "layer": int, "key": str, "partner_layer": int, "partner_key": str, "moved": float, "calls": int}),
}


def type_name(cls: type) -> str:
    """``"module:qualname"`` of a class."""
    return f"{cls.__module__}:{cls.__qualname__}"


def data_object(cls: Any) -> DataObject | None:
    """How ``cls`` travels, or None when it does not (any class not in :data:`DATA_OBJECTS`)."""
    module, qual = getattr(cls, "__module__", None), getattr(cls, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qual, str):
        return None
    return DATA_OBJECTS.get(f"{module}:{qual}")
