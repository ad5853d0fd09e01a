"""lesson.tasks: each task's checker passes its solution, refuses its starter and typical mistakes with the
message that names them, and keeps the learner's code away from the page (raising, patching, printing)."""

import builtins
import json
import math
import sys

import pytest

from lesson import api, tasks
from lesson.tasks import TASKS, check_task, solution, starter
from lesson.tasks.sources import BLANK

SEEDS = [0] + [pytest.param(seed, marks=pytest.mark.slow) for seed in range(1, 6)]  # seed 0 in the fast set


def mutated(task, old, new):
    """The solution of `task` with `old` replaced by `new` (which must be there)."""
    code = solution(task)
    assert old in code, f"{old!r} is not in the solution of {task}"
    return code.replace(old, new)


def verdict(task, code, seed=0):
    result = check_task(task, code, seed=seed)
    assert set(result) == {"task", "verdict", "message", "details", "output", "chart"}
    json.dumps(result, allow_nan=False)  # what the page receives
    return result


# ---- solutions pass, starters are refused until their blanks are filled ----

@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("seed", SEEDS)
def test_each_solution_passes_at_random_points(task, seed):
    result = verdict(task, solution(task), seed)
    assert result["verdict"] == "pass", result["message"]
    assert result["message"].startswith("All ") and " checks pass." in result["message"]


@pytest.mark.parametrize("task, lines", [("add-mul", "lines 19 and 24"), ("more-ops", "lines 37, 41 and 45"),
                                         ("backward", "lines 55, 63, 64 and 66"), ("accumulate", "lines 70 and 71"),
                                         ("train", "lines 79, 80, 81, 83 and 84")])
def test_a_starter_is_refused_naming_the_lines_of_its_blanks(task, lines):
    code = starter(task)
    assert code.count(BLANK) >= 2 and BLANK not in solution(task)
    assert verdict(task, code)["message"] == f"Fill in the blanks first: {BLANK} is still on {lines}."


def test_a_blank_in_a_comment_or_string_is_not_one():
    code = solution("add-mul") + f"\n# {BLANK} in a comment\nnote = '{BLANK}'\n"
    assert verdict("add-mul", code)["verdict"] == "pass"


def test_each_starter_holds_the_solution_of_the_task_before_it():
    names = list(TASKS)
    for before, task in zip(names, names[1:]):
        assert starter(task).startswith(solution(before).rstrip("\n").rsplit("\n\n\ndef train", 1)[0])


# ---- typical mistakes, each named where it happens ----

MISTAKES = [
    # Task 1: a swapped derivative, the wrong rule for +, the wrong value, a missing __rmul__, a constant not wrapped.
    ("add-mul", "(other.data, self.data)", "(self.data, other.data)",
     "d(a*b)/da at a=2, b=-3 came out 2.0; it should be b = -3.0"),
    ("add-mul", "(1.0, 1.0)", "(0.0, 0.0)", "d(a+b)/da at a=2, b=-3 came out 0.0; it should be 1.0"),
    ("add-mul", "return Value(self.data * other.data", "return Value(self.data + other.data",
     "a * b at a=2, b=-3 came out -1.0; it should be -6.0"),
    ("add-mul", "    __rmul__ = __mul__  # 3 * a asks a.__rmul__(3)\n", "",
     "3 * a at a=-0.5 raised TypeError: unsupported operand type(s) for *: 'int' and 'Value'; Python looks for the "
     "method of Value that does this (__rmul__ for 3 * a, __radd__ for 3 + a), so define the one that is missing"),
    ("add-mul", "other = other if isinstance(other, Value) else Value(other)\n        # the product", "# the product",
     "a * 3 at a=-0.5 raised AttributeError: 'int' object has no attribute 'data' (line 23 of your code)"),
    ("add-mul", "(self, other), (other.data, self.data)", "{self, other}, (other.data, self.data)",
     "(a * b)._prev is a set, which loses the inputs' order"),
    ("add-mul", "(self, other), (other.data, self.data)", "(self, other), (other, self)",
     "(a * b)._local holds Value Value(data=-3.0, grad=0.0); a local derivative is a plain number"),
    ("add-mul", "return Value(self.data * other.data, (self, other), (other.data, self.data))",
     "return self.data * other.data",
     "a * b at a=2, b=-3 returned float, not a Value: an operation must return a new Value"),
    ("add-mul", "self.grad = 0.0", "self.grad = 1.0", "Value(-2.5).grad starts at 1.0; a new Value's grad should start at 0.0"),
    # Task 2: tanh's derivative from the input, exp's from the input, the power rule without n or with - 1 outside.
    ("more-ops", "(1 - t ** 2,)", "(1 - self.data ** 2,)",
     "d(tanh(a))/da at a=-1.5 came out -1.25; it should be 1 - tanh(a)**2 = 0.180707"),
    ("more-ops", "(e,)", "(self.data,)", "d(exp(a))/da at a=-2 came out -2.0; it should be exp(a) = 0.135335"),
    ("more-ops", "(n * self.data ** (n - 1),)", "(self.data ** (n - 1),)",
     "d(a**2)/da at a=2 came out 2.0; it should be 2 * a = 4.0"),
    ("more-ops", "(n * self.data ** (n - 1),)", "(n * self.data ** n - 1,)",
     "d(a**2)/da at a=2 came out 7.0; it should be 2 * a = 4.0"),
    # Task 3: no reversed order, no seed, = instead of +=, half of the chain rule, no topological sort.
    ("backward", "reversed(self._topo())", "self._topo()",
     "In (w*x + b).tanh() at w=-0.1, x=1.4, b=1, w.grad came out 0.0; it should be 0.721315. The output's grad is "
     "1.0, but none of it reached an input: does every input join the order (visit each child), and does backward "
     "go through the order reversed, the output first?"),
    ("backward", "                    visit(child)", "                    visit(node)",
     "The output's grad is 1.0, but none of it reached an input"),
    ("backward", "self.grad = 1.0  #", "self.grad = 0.0  #",
     "That is what backward gives when the output's own grad is not set to 1.0 first."),
    ("backward", "child.grad += local * node.grad", "child.grad = local * node.grad",
     "In (a + b) * b at a=2, b=3, b.grad came out 3.0; it should be 8.0. That is what backward gives when each path's "
     "share replaces the one before (=) instead of adding to it (+=): b is used more than once here"),
    ("backward", "child.grad += local * node.grad", "child.grad += local",
     "That is what backward gives when each input gets only the local derivative"),
    ("backward", "child.grad += local * node.grad", "child.grad += node.grad",
     "That is what backward gives when each input gets the node's grad without the local derivative."),
    ("backward", """        self.grad = 1.0  # d(this value)/d(this value)
        for node in reversed(self._topo()):  # the output first, the inputs last
            for child, local in zip(node._prev, node._local):
                child.grad += local * node.grad  # the chain rule (+=: see Task 4)""", """        self.grad = 1.0
        self._push()

    def _push(self):
        for child, local in zip(self._prev, self._local):
            child.grad += local * self.grad
            child._push()""",
     "That is what backward gives without a topological order, passing a node's gradient on as soon as one path "
     "reaches it: t = a * b is used more than once"),
    # Task 4: = instead of +=, zero_grad resetting only the output, only the leaves, only the direct inputs.
    ("accumulate", "child.grad += local * node.grad", "child.grad = local * node.grad",
     "In (a + b) * b at a=2, b=3, b.grad came out 3.0; it should be 8.0."),
    ("accumulate", "        for node in self._topo():\n            node.grad = 0.0", "        self.grad = 0.0",
     "after backward() then out.zero_grad(), a.grad is still"),
    ("accumulate", "            node.grad = 0.0", "            if not node._prev:\n                node.grad = 0.0",
     "after backward() then out.zero_grad(), the grad of a node between the inputs and out is still"),
    ("accumulate", "for node in self._topo():\n            node.grad = 0.0", "for node in self._prev:\n            node.grad = 0.0",
     "after backward() then out.zero_grad(), a.grad is still"),
    # Task 5: a stale gradient, a step uphill, b never updated, the wrong loss, the Value instead of its number.
    ("train", "        loss.zero_grad()  #", "        #",
     "train(x=2, target=0.8, w=0.3, b=0.1, lr=0.5, steps=20) gave a loss of 0.0232704 at step 2; it should be "
     "0.00200669 (the engine's run from the same start). That is what training gives when the gradients are not "
     "cleared each step"),
    ("train", "w.data -= lr * w.grad  #", "w.data += lr * w.grad  #",
     "gave a loss of 0.234015 at step 1; it should be 0.00448927 (the engine's run from the same start). Step 0 "
     "agrees, so the update after step 0 went wrong."),
    ("train", "b.data -= lr * b.grad", "b.data -= 0", "That is what training gives when b is never updated."),
    ("train", "(y - target) ** 2", "(y - target)",
     "gave a loss of -0.195632 at step 0; it should be 0.038272 (the engine's run from the same start). Step 0 comes "
     "before any update, so the forward pass is off"),
    ("train", "    w, b = Value(w), Value(b)", "    w, b = Value(0.3), Value(0.1)",
     "train(x=-1.5, target=-0.3, w=0.2, b=-0.4, lr=0.1, steps=8) gave a loss of 0.00132318 at step 0"),
    ("train", "    return losses\n", "    return losses[:-1]\n",
     "train(x=2, target=0.8, w=0.3, b=0.1, lr=0.5, steps=20) returned 19 losses; it should return 20, one per step"),
]


@pytest.mark.parametrize("task, old, new, message", MISTAKES)
def test_a_typical_mistake_is_refused_with_a_message_naming_it(task, old, new, message):
    result = verdict(task, mutated(task, old, new), seed=3)
    assert result["verdict"] == "fail"
    assert message in result["message"]


def test_every_task_refuses_at_least_three_typical_mistakes():
    counts = {task: sum(1 for m in MISTAKES if m[0] == task) for task in TASKS}
    assert min(counts.values()) >= 3, counts


@pytest.mark.parametrize("task", ["add-mul", "more-ops", "backward", "accumulate", "train"])
def test_a_later_task_still_checks_the_earlier_parts(task):
    result = verdict(task, mutated(task, "(other.data, self.data)", "(self.data, other.data)"))
    assert result["message"].startswith("d(a*b)/da at a=2, b=-3 came out 2.0; it should be b = -3.0")


def test_details_give_the_engines_number_and_central_differences_of_the_learners_code():
    result = verdict("more-ops", mutated("more-ops", "(e,)", "(self.data,)"))
    assert result["details"] == "Our engine: 0.135335. Central differences of your a.exp(): 0.135335."
    result = verdict("backward", mutated("backward", "child.grad += local * node.grad", "child.grad = local * node.grad"))
    assert result["details"] == ("Our engine: a.grad = 3.0, b.grad = 8.0. Central differences of your forward pass: "
                                 "a 3, b 8.")


def test_a_node_used_twice_a_constant_and_a_negative_input_are_all_tried():
    # Each of these is right at the random points and wrong at one of the awkward cases only.
    only_distinct = mutated("add-mul", "(other.data, self.data)", "(other.data, self.data) if other is not self else (0.0, 0.0)")
    assert verdict("add-mul", only_distinct)["message"] == (
        "In a * a at a=-2.5 (a used twice), the local derivative for the first use came out 0.0; it should be a = -2.5")
    reflected = mutated("add-mul", "    __radd__ = __add__  # 3 + a asks a.__radd__(3)\n",
                        "    def __radd__(self, other):\n        return Value(other + self.data, (self, Value(other)), (0.0, 1.0))\n")
    assert verdict("add-mul", reflected)["message"] == "d(3+a)/da at a=-2.5 came out 0.0; it should be 1.0"
    positive_only = mutated("more-ops", "(1 - t ** 2,)", "(1 - t ** 2 if self.data >= 0 else 1.0,)")
    assert verdict("more-ops", positive_only)["message"].startswith("d(tanh(a))/da at a=-1.5 came out 1.0")


def test_the_pass_of_the_training_task_draws_the_learners_losses():
    result = verdict("train", solution("train"))
    losses = [point["loss"] for point in result["chart"]]
    assert [point["step"] for point in result["chart"]] == list(range(20))
    assert losses[0] == pytest.approx(0.03827196663007979, rel=1e-12) and losses[-1] < 1e-15
    assert "loss 0.038272 at step 0" in result["output"]


def test_a_failed_training_task_still_draws_the_curve_its_losses_make():
    result = verdict("train", mutated("train", "        loss.zero_grad()  #", "        #"))
    assert result["verdict"] == "fail" and len(result["chart"]) == 20


# ---- the learner's code cannot hurt the page ----

def test_code_that_raises_when_it_runs_says_where():
    result = verdict("add-mul", solution("add-mul") + "\nprint(undefined_name)\n")
    assert result["message"] == "Your code raised NameError when it ran: name 'undefined_name' is not defined (line 29)"
    assert 'File "<cell add-mul>", line 29, in <module>' in result["details"]


def test_a_syntax_error_names_its_line():
    result = verdict("add-mul", solution("add-mul").replace("def __mul__(self, other):", "def __mul__(self, other)"))
    assert result["message"].startswith("Your code raised SyntaxError when it ran: ") and "(line 21)" in result["message"]


def test_code_without_a_value_class_is_told_so():
    assert verdict("add-mul", "x = 1\n")["message"] == "Your code defines no class named Value"
    assert verdict("add-mul", "Value = 3\n")["message"] == "Value is a int in your code; it should be the class"


def test_a_method_that_raises_is_reported_with_its_line():
    code = mutated("add-mul", "        # the sum,", "        raise RuntimeError('not yet')\n        # the sum,")
    result = verdict("add-mul", code)
    assert result["message"] == "a + b at a=2, b=-3 raised RuntimeError: not yet (line 18 of your code)"


def test_endless_recursion_is_reported_with_a_short_traceback():
    code = mutated("backward", "        visit(self)\n        return order", "        return self._topo()")
    result = verdict("backward", code)
    assert "raised RecursionError: maximum recursion depth exceeded" in result["message"]
    assert len(result["details"].splitlines()) < 30


def test_patching_math_or_builtins_is_undone_and_reported():
    tanh, abs_ = math.tanh, builtins.abs
    code = mutated("more-ops", "        t = math.tanh(self.data)", "        math.tanh = lambda x: 0.5\n        t = math.tanh(self.data)")
    result = verdict("more-ops", code)
    assert result["message"].startswith("Your code replaced math.tanh, which the page's own engine and widgets use too.")
    assert math.tanh is tanh
    result = verdict("add-mul", "import builtins\nbuiltins.abs = None\nimport sys\nsys.modules['json'] = None\n" + solution("add-mul"))
    assert result["message"].startswith("Your code replaced builtins.abs, sys.modules['json'],")
    assert builtins.abs is abs_ and sys.modules["json"] is json


def test_deleting_a_shared_name_or_setting_a_tracer_is_undone_and_reported():
    result = verdict("add-mul", "import math, sys\ndel math.pi\nsys.settrace(lambda *a: None)\n" + solution("add-mul"))
    assert result["message"].startswith("Your code replaced math.pi, sys.settrace / sys.setprofile,")
    assert math.pi == 3.141592653589793 and sys.gettrace() is None


def test_the_recursion_limit_is_put_back_quietly():
    limit = sys.getrecursionlimit()
    result = verdict("add-mul", "import sys\nsys.setrecursionlimit(100_000)\n" + solution("add-mul"))
    assert result["verdict"] == "pass" and sys.getrecursionlimit() == limit


@pytest.mark.slow
def test_a_patch_of_the_engine_stays_in_the_learners_copy():
    before = api.call("explore", '{"a": 2.0, "b": 3.0}')
    code = "import autodiff\nautodiff.Value.__add__ = lambda self, other: 42\n" + solution("backward")
    assert verdict("backward", code)["verdict"] == "pass"
    assert api.call("explore", '{"a": 2.0, "b": 3.0}') == before
    assert verdict("backward", solution("backward"))["verdict"] == "pass"


def test_each_check_starts_from_a_fresh_namespace():
    assert verdict("add-mul", "helper = 1\n" + solution("add-mul"))["verdict"] == "pass"
    result = verdict("add-mul", solution("add-mul") + "\nhelper\n")
    assert result["message"] == "Your code raised NameError when it ran: name 'helper' is not defined (line 29)"


def test_output_is_captured_and_capped_and_input_refused():
    code = solution("add-mul").replace("        return Value(self.data + other.data,", "        print('adding')\n        return Value(self.data + other.data,")
    result = verdict("add-mul", "for i in range(5000):\n    print(i)\n" + code)
    assert result["verdict"] == "pass"
    assert result["output"].startswith("0\n1\n2\n") and "[output truncated: 4,000 more lines" in result["output"]
    assert "adding\n" in result["output"]
    assert verdict("add-mul", "input('a number? ')\n")["message"] == (
        "Your code raised RuntimeError when it ran: input() is not available in the lesson's cells: set the value "
        "in the code (line 1)")


@pytest.mark.slow
def test_operations_that_return_the_wrong_type_are_named():
    code = mutated("more-ops", "        return Value(e, (self,), (e,))", "        return e")
    assert verdict("more-ops", code)["message"] == ("a.exp() at a=-2 returned float, not a Value: an operation must "
                                                    "return a new Value")
    code = mutated("train", "        losses.append(loss.data)", "        losses.append(str(loss.data))")
    code = code[:code.index("\n\nlosses = train(")] + "\n"  # its own print would fail first
    assert verdict("train", code)["message"] == ("train(x=2, target=0.8, w=0.3, b=0.1, lr=0.5, steps=20): the loss of "
                                                 "step 0 is a str, not a number")


def test_bad_requests_are_refused_clearly():
    with pytest.raises(ValueError, match="there is no task 'nope'; the tasks are add-mul, more-ops, backward, accumulate, train"):
        check_task("nope", "")
    with pytest.raises(TypeError, match="a task's code must be text, not int"):
        check_task("add-mul", 3)
    assert verdict("add-mul", "x" * 60_000)["message"] == "Your code is 60,000 characters long; a task's code may be at most 50,000"


def test_the_page_calls_the_checker_through_the_whitelist():
    result = json.loads(api.call("check_task", json.dumps({"name": "add-mul", "source": solution("add-mul")})))
    assert result["verdict"] == "pass"


def test_the_page_gets_each_tasks_hints_and_solution():
    state = tasks.initial_state()
    assert state["task-progress"] == {"tasks": ["add-mul", "more-ops", "backward", "accumulate", "train"]}
    assert list(state["task"]) == state["task-progress"]["tasks"]
    for name, task in state["task"].items():
        assert task["solution"] == solution(name) and len(task["hints"]) >= 2
        assert all(hint.count("`") % 2 == 0 for hint in task["hints"])  # code spans are closed
