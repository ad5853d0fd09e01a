"""The lesson's exercises, predict then check: the learner's answer is judged against the engine's number.

    check_exercise(name, answer) -> {"verdict": "pass" | "fail", "message", "attempted"}
    judge_guess(guess, expected) -> {"verdict": "right" | "close" | "off" | "unreadable", "summary", "message"}

An answer is a number or numbers combined ('12', '3*2**2', 'e/(e + e**2)'), read by the playground's
parser (lesson.expr: parsed, never run as Python) and computed by the engine. It is right within
RIGHT_WITHIN of the engine's number (times the number's size, when that is above 1), and close within
CLOSE_WITHIN of the number's size (or twice the right margin, if that is more). The playground's
predict-then-reveal judges its guesses here too (judge_guess).
"""

import re

from autodiff import Value
from lesson.checks import finite_number
from lesson.expr import ExprError, parse, variables
from lesson.expr_graph import Undefined, build_graph, shared_leaves
from lesson.wording import number

RIGHT_WITHIN = 0.005
CLOSE_WITHIN = 0.1  # relative
MAX_ANSWER_CHARS = 500
RELU_TANH_POINTS = (-2.0, -0.5, 0.5, 2.0)


class AnswerError(ValueError):
    """An answer that is not a number: the message says why."""


def _cube():
    """dy/dx of y = x**3 at x = 2."""
    x = Value(2.0)
    (x ** 3).backward()
    return [("dy/dx", x.grad)]


def _softmax():
    """dy/dx of y = exp(x) / (exp(x) + exp(z)) at x = 1, z = 2."""
    x, z = Value(1.0), Value(2.0)
    ex = x.exp()
    (ex / (ex + z.exp())).backward()
    return [("dy/dx", x.grad)]


def _relu_tanh():
    """relu'(x) at the four points, then tanh'(x) at the same four."""
    parts = []
    for name, activation in (("relu", Value.relu), ("tanh", Value.tanh)):
        for point in RELU_TANH_POINTS:
            x = Value(point)
            activation(x).backward()
            parts.append((f"{name}'({point:g})", x.grad))
    return parts


# Each exercise: the engine's answers, [(what each one is, its number)], in the order the learner types them.
EXERCISES = {"cube": _cube, "softmax": _softmax, "relu-tanh": _relu_tanh}


def tolerance(expected):
    """How far an answer may be from `expected` and count as right: RIGHT_WITHIN, times |expected| when that is above 1."""
    return RIGHT_WITHIN * max(1.0, abs(expected))


def read_answer(text):
    """The number an answer means (the engine computes a formula of numbers), or AnswerError saying why it has none."""
    text = text.strip().replace("\u2212", "-")  # a typographic minus, as a phone's keyboard may type it
    if not text:
        raise AnswerError("the answer is empty: type a number")
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerError(f"the answer is {len(text)} characters long: at most {MAX_ANSWER_CHARS}")
    try:
        tree = parse(text)
    except ExprError as error:
        raise AnswerError(error.message) from None  # the parser's messages quote what they refuse
    names = variables(tree)
    if names:
        raise AnswerError(f"'{names[0]}' is a name: type a number, or numbers combined such as 3*2**2 or 1/4")
    root = build_graph(tree, shared_leaves(tree, {}))
    if isinstance(root, Undefined):
        raise AnswerError(f"'{_shortened(text)}' has no value: {root.reason}")
    return root.data


def _shortened(text, limit=30):
    """An answer quoted in a message, cut if long."""
    return text if len(text) <= limit else text[:limit] + "\u2026"


def judge(answer, expected):
    """('right' | 'close' | 'off', the number the answer means, how far it is); AnswerError if it means none."""
    value = read_answer(answer)
    distance = abs(value - expected)
    verdict = ("right" if distance <= tolerance(expected)
               else "close" if distance <= max(CLOSE_WITHIN * abs(expected), 2 * tolerance(expected)) else "off")
    return verdict, value, distance


def judge_guess(guess, expected):
    """The playground's judgement of a guess at a gradient the engine computed as `expected`."""
    expected = finite_number("the gradient", expected)
    if not isinstance(guess, str):
        raise TypeError(f"a guess must be text, not {type(guess).__name__}")
    try:
        verdict, value, distance = judge(guess, expected)
    except AnswerError as error:
        return {"verdict": "unreadable", "summary": f"{error}", "message": f"Your guess could not be read: {error}."}
    within = number(tolerance(expected))
    summary = {"right": "right", "close": f"close: off by {number(distance, digits=3)}", "off": f"off by {number(distance, digits=3)}"}[verdict]
    message = (f"Your guess {number(value)} is {verdict}: the engine's gradient is {number(expected)}, "
               f"and a guess within ±{within} counts as right.")
    return {"verdict": verdict, "summary": summary, "message": message}


def check_exercise(name, answer):
    """Judge the learner's `answer` to exercise `name`: "pass" when every number is right; `attempted` is False
    when the answer could not be read (nothing is judged then, and the worked explanation stays hidden)."""
    if name not in EXERCISES:
        raise ValueError(f"there is no exercise {name!r}; the exercises are {', '.join(EXERCISES)}")
    if not isinstance(answer, str):
        raise TypeError(f"an answer must be text, not {type(answer).__name__}")
    expected = EXERCISES[name]()
    texts = [answer] if len(expected) == 1 else [part for part in re.split(r"[,;\n]", answer) if part.strip()]
    if len(texts) != len(expected):
        return _unread(f"Type {len(expected)} numbers, separated by commas: {', '.join(w for w, _ in expected)} "
                       f"(you typed {len(texts)})")
    judged = []
    for text, (what, want) in zip(texts, expected):
        try:
            judged.append((what, text.strip(), want, *judge(text, want)))
        except AnswerError as error:
            return _unread(f"{what}: {error}" if len(expected) > 1 else str(error).capitalize())
    return {"verdict": "pass" if all(j[3] == "right" for j in judged) else "fail",
            "message": _verdict_message(judged), "attempted": True}


def _unread(message):
    """The result for an answer that could not be read."""
    return {"verdict": "fail", "message": message + ".", "attempted": False}


def _verdict_message(judged):
    """What the verdict says: right within the tolerance, or how far off (the worked explanation gives the answer)."""
    if len(judged) == 1:
        what, text, want, verdict, value, distance = judged[0]
        within = number(tolerance(want))
        if verdict == "right":
            return f"Right: {what} = {number(want)}, as the engine computes it (answers within ±{within} count)."
        near = "Close, but not close enough" if verdict == "close" else "Not right"
        return (f"{near}: {text} is {number(distance, digits=3)} away from the engine's {what} (answers within ±{within} count). "
                "The worked explanation is below.")
    wrong = [(what, text) for what, text, _, verdict, _, _ in judged if verdict != "right"]
    if not wrong:
        return f"Right: all {len(judged)} agree with the engine's gradients (each within ±{number(RIGHT_WITHIN)})."
    listed = ", ".join(f"{what} (you typed {text})" for what, text in wrong)
    return (f"{len(judged) - len(wrong)} of {len(judged)} right. Not right: {listed}; each counts within "
            f"±{number(RIGHT_WITHIN)}. The worked explanation is below.")


def initial_state():
    """What each exercise's answer box needs before Python runs: how many numbers, and what each one is."""
    return {name: {"parts": [what for what, _ in answers()]} for name, answers in EXERCISES.items()}
