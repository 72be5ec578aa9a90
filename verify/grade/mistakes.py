"""Known mistakes: their labels, the oracle's mutants as known mistakes, and the mistakes named
from what a student's call raised.

One short sentence per mistake, shared by the assignments (which compute what a mistake would
return, see :class:`~verify.grade.assignment.Case`), the pattern checks of :mod:`.diagnose` and
the structural evidence of :mod:`.evidence`. Where a mistake is also a mutant of
:mod:`verify.mutants` the label is the mutant's own (after a prefix saying how the result relates
to the reference), so the oracle and the grader name a mistake in the same words.
"""

from __future__ import annotations

import re

from verify.mutants import MUTANTS

_MUTANT = {mutant.name: mutant.label for mutant in MUTANTS}

ZEROS = "returns all zeros: the gradient is never accumulated"
NEGATED = "equals −1 × the reference: " + _MUTANT["output_delta_sign"]
MEAN_NOT_SUM = "off by a factor of N: " + _MUTANT["grad_c_mean"]
SUM_NOT_MEAN = "off by a factor of N: sum instead of mean over the batch"
TRANSPOSED = "transposed"
AXES_PERMUTED = "axes in the wrong order"
FILTERS_FLIPPED = "matches the reference with filters flipped: convolution vs cross-correlation"
BIAS_AXIS = "bias gradient summed over the wrong axis"
BIAS_KEEPDIMS = "bias gradient of shape (1, M): summed with keepdims=True; return shape (M,)"
BIAS_NO_BATCH_SUM = "bias gradient not summed over the batch (one row per sample)"
BIAS_NO_SPATIAL_SUM = "bias gradient not summed over the output positions (sum over N, H', W')"
NO_ACTIVATION_DERIVATIVE = _MUTANT["grad_W_no_derivative"]
DERIVATIVE_OF_PRE_ACTIVATION = _MUTANT["grad_W_derivative_of_z"]
POOL_TO_ALL = _MUTANT["maxpool2d_backward_every"]
SOFTMAX_OVERFLOW = _MUTANT["softmax_no_max"]
SOFTMAX_WRONG_AXIS = "softmax normalized over the batch axis instead of the classes"
NEGATED_DESCENT = "equals −1 × the reference: sign convention (T − Y instead of Y − T for descent)"
NOT_RESHAPED = "dx keeps the flattened shape (N, D) instead of x's shape"
LOG_OF_ZERO = (
    "NaN from 0 · log 0: where t = y = 0 the term counts 0 (take the log only where t > 0)"
)
SINGLE_PRECISION = (
    "computed in single precision: an error at float32 level in a float64 task (float32 arrays "
    "or casts; or a small constant such as + 1e-8)"
)
NOT_IMPLEMENTED = "not implemented"
BIAS_FORGOTTEN = "bias b never added"
AVERAGE_NOT_MAX = "window average instead of its maximum"
RELU_MASK_OF_DOUT = "relu mask taken from dout (dout > 0) instead of the forward's input x"
RELU_NO_UPSTREAM = "upstream gradient dout never multiplied in: returns relu's derivative only"

# ------------------------------------------------------------ mistakes named by structural evidence

PAD_SLICE = (
    "padding removed with x[pad:-pad] (or dx[pad:-pad]): empty or wrong only at pad = 0; "
    "slice [pad:pad + H] instead"
)
OVERLAP_ASSIGN = (
    "= instead of +=: wrong only where windows overlap (stride < window), where an element "
    "collects gradient from several windows"
)
HW_SWAPPED = (
    "height and width swapped (loop bounds, reshape or index arithmetic): wrong only when the "
    "two differ"
)
WINDOW_HW_SWAPPED = (
    "window height and width mixed up (HH/WW or pool_height/pool_width): wrong only for "
    "non-square windows"
)
STRIDE_IGNORED = "stride ignored or applied on one axis only: wrong only at stride > 1"
NOT_FLATTENED = (
    "x not reshaped into rows (N, D) before the product: wrong only when x has more than two axes"
)
BATCH_OF_ONE = "wrong only for a batch of one: an axis of length 1 squeezed or broadcast away"
CHANNEL_OF_ONE = "wrong only for a single channel: an axis of length 1 squeezed or broadcast away"


def mutant_mistakes(function: str, args: tuple) -> dict[str, object]:
    """{mutant label: mutant output on ``args``} for the mutants of cnnref.``function``."""
    found: dict[str, object] = {}
    for mutant in MUTANTS:
        if mutant.target != function or mutant.label in found:
            continue
        try:
            found[mutant.label] = mutant.function(*args)
        except Exception:  # a mutant that cannot run on these inputs names nothing
            continue
    return found


# ------------------------------------------------------------ mistakes named by what was raised


_REMOVED_NUMPY = ("int", "float", "bool", "object", "long", "complex", "str", "unicode")
_PYTHON2_NAMES = {
    "xrange": "Python 2's xrange: use range",
    "unicode": "Python 2's unicode: use str",
    "basestring": "Python 2's basestring: use str",
    "long": "Python 2's long: use int",
    "raw_input": "Python 2's raw_input: use input",
    "reduce": "Python 2's built-in reduce: import it from functools",
    "unichr": "Python 2's unichr: use chr",
    "izip": "Python 2's itertools.izip: use zip",
}
_FLOAT_SIZE = re.compile(
    r"'float' object cannot be interpreted as an integer|slice indices must be integers"
    r"|only integers, slices|must be int|integer argument expected, got float"
    r"|'float' object is not iterable|expected a sequence of integers"
)
XRANGE = _PYTHON2_NAMES["xrange"]
PYTHON2_DIVISION = (
    "Python 2's integer division: in Python 3 `/` gives a float; use `//` for sizes and indices"
)


def removed_numpy_alias(name: str) -> str:
    """The label of ``np.<name>``, an alias of a built-in type removed in NumPy 1.24."""
    fix = {"long": "int", "unicode": "str"}.get(name, name)
    return f"np.{name} was removed in NumPy 1.24: use the built-in {fix}"


NUMPY_INT = removed_numpy_alias("int")


def raised_mistake(error: str) -> str | None:
    """The mistake named by a student's exception, given as ``"Type: message"``: code from
    another era (Python 2's names and integer ``/``, NumPy aliases removed in 1.24)."""
    kind, _, message = error.partition(": ")
    if kind == "NameError":
        name = re.search(r"name '(\w+)' is not defined", message)
        if name and name.group(1) in _PYTHON2_NAMES:
            return _PYTHON2_NAMES[name.group(1)]
    if kind == "AttributeError":
        alias = re.search(r"module 'numpy' has no attribute '(\w+)'", message)
        if alias and alias.group(1) in _REMOVED_NUMPY:
            return removed_numpy_alias(alias.group(1))
        if re.search(r"object has no attribute '(iteritems|itervalues|iterkeys|has_key)'", message):
            return "Python 2's dict.iteritems/has_key: use items() / the in operator"
    if kind in ("TypeError", "IndexError", "ValueError") and _FLOAT_SIZE.search(message):
        return PYTHON2_DIVISION
    return None


def python2_names() -> tuple[str, ...]:
    """The Python 2 built-in names :func:`raised_mistake` recognises."""
    return tuple(_PYTHON2_NAMES)


def syntax_mistake(message: str) -> str | None:
    """The mistake named by a SyntaxError's message: Python 2's print statement or exec."""
    if "Missing parentheses in call to 'print'" in message:
        return "Python 2's print statement: use print(...)"
    if "Missing parentheses in call to 'exec'" in message:
        return "Python 2's exec statement: use exec(...)"
    return None
