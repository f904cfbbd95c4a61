"""Evaluate a card's arithmetic, such as `-log(1/27)` or `(5/3)/sqrt(30)`, without `eval`.

The expression is parsed with `ast` and only numbers, + - * / ** %, parentheses, the
constants `pi` and `e` and the functions in FUNCTIONS are allowed; anything else is
refused with a message that says what was found. Numbers are floats, so `9**9**9`
overflows at once instead of computing a gigantic integer.
"""

from __future__ import annotations

import ast
import math
import operator

FUNCTIONS = {
    name: getattr(math, name)
    for name in ["log", "log2", "log10", "exp", "sqrt", "tanh", "atanh", "erf", "erfc"]
} | {"abs": abs}
CONSTANTS = {"pi": math.pi, "e": math.e}
BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
}
UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}


class ExpressionError(Exception):
    pass


MAX_LENGTH = 1000  # a card's arithmetic is a line; a longer one is a mistake, or an attempt to exhaust the parser


def evaluate(expression: str) -> float:
    """The value of an arithmetic expression; ExpressionError if it is not one or has no value."""
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(expression):,} characters long; at most {MAX_LENGTH:,} are read")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise ExpressionError(f"not an arithmetic expression: {expression!r}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply to read") from None
    try:
        value = _value(tree.body)
    except (ArithmeticError, ValueError, TypeError) as err:  # 1/0, overflow, log(0), sqrt(1, 2)
        raise ExpressionError(f"{expression!r} has no value: {err}") from None
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply to evaluate") from None
    if isinstance(value, complex) or not math.isfinite(value):
        raise ExpressionError(f"{expression!r} is not a finite real number")
    return value


def _value(node: ast.expr) -> float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        return BINARY[type(node.op)](_value(node.left), _value(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        return UNARY[type(node.op)](_value(node.operand))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        if node.keywords:
            raise ExpressionError(f"{node.func.id}() takes no keyword arguments")
        return FUNCTIONS[node.func.id](*(_value(arg) for arg in node.args))
    allowed = ", ".join([*FUNCTIONS, *CONSTANTS])
    raise ExpressionError(f"{ast.unparse(node)!r} is not allowed (numbers, + - * / ** %, and {allowed})")
