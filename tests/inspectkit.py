"""Real Inspect AI logs for the tests, written by ``inspect_ai`` itself, offline.

A model provider of the tests' own (``oscatest/<model>``, registered with :func:`inspect_ai.model.modelapi`) answers
each question deterministically: the k-th call for one input text of one model at one temperature is correct
when a seeded hash of (model, temperature, input, k) falls below the question's pass rate, so the number of
correct answers per question is known in advance (:func:`expected_correct`) whatever order the samples run in.
It overrides ``count_text_tokens`` (the base class counts with a tokenizer that it downloads, which fails offline)
and reports its own usage (input tokens = words of the prompt, output tokens = words of the answer).

Model ``flaky`` answers like the others but raises on its second answer to question ``FLAKY_QUESTION`` (while
``FLAKY["on"]``): with one sample at a time (epoch after epoch) the eval stops with status ``error``, later
samples cancelled; ``inspect_ai.eval_retry`` with ``FLAKY["on"] = False`` finishes it.

Tasks: ``arith`` (questions "q0".."q{n-1}", target the number ``7 * i``; two scorers, ``match()`` and
``includes()``, both C/I), ``arith_one`` / ``arith_includes`` (one scorer each), ``arith_partial`` (one
scorer giving partial credit, ``P``, on odd questions answered wrongly) and ``arith_error`` (its scorer raises
on one question).
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections import defaultdict
from pathlib import Path

from inspect_ai import Task, eval, task
from inspect_ai.dataset import Sample
from inspect_ai.model import GenerateConfig, ModelAPI, ModelOutput, ModelUsage, modelapi
from inspect_ai.scorer import CORRECT, INCORRECT, PARTIAL, Score, Target, accuracy, includes, match, scorer
from inspect_ai.solver import TaskState, generate

WORDS = ("the", "answer", "is")
FLAKY_QUESTION = 2  # model "flaky" raises on its second answer to this question: the eval stops, status error
FLAKY = {"on": True}  # set "on" to False to let ``inspect eval-retry`` finish a flaky run


def pass_rate(model: str, temperature: float, i: int) -> float:
    """The question's chance of a correct answer for one model at one temperature (fixed, not random)."""
    h = int(hashlib.sha256(f"rate|{model}|{temperature}|{i}".encode()).hexdigest()[:8], 16)
    return (h % 1000) / 1000


def answers_correctly(model: str, temperature: float, text: str, k: int) -> bool:
    i = question_of(text)
    u = int(hashlib.sha256(f"draw|{model}|{temperature}|{text}|{k}".encode()).hexdigest()[:8], 16) / 2**32
    return u < pass_rate(model, temperature, i)


def question_of(text: str) -> int:
    return int(re.search(r"#(\d+)", text)[1])


def prompt(i: int) -> str:
    return f"Question #{i}: what is 7 times {i}?"


def expected_correct(model: str, temperature: float, questions: int, epochs: int) -> list[int]:
    """Correct answers per question over the first ``epochs`` calls of ``model`` (the name after the provider,
    e.g. "alpha") at ``temperature`` (what the provider answers)."""
    return [sum(answers_correctly(model, temperature, prompt(i), k) for k in range(epochs)) for i in range(questions)]


_INSTANCES: weakref.WeakSet = weakref.WeakSet()


def reset_calls() -> None:
    """Start every provider instance's call counts afresh (inspect_ai keeps instances across evaluations in one
    process, so a test module that checks :func:`expected_correct` must not inherit another module's calls)."""
    for api in list(_INSTANCES):
        api.calls.clear()


class OscaTestAPI(ModelAPI):
    """Deterministic, offline model: see the module docstring."""

    def __init__(self, model_name: str, base_url: str | None = None, api_key: str | None = None,
                 config: GenerateConfig | None = None, **model_args) -> None:
        super().__init__(model_name, base_url, api_key, [], config or GenerateConfig())
        self.calls: dict[tuple[float, str], int] = defaultdict(int)
        _INSTANCES.add(self)

    async def count_text_tokens(self, text: str) -> int:
        return len(text.split())

    async def generate(self, input, tools, tool_choice, config: GenerateConfig) -> ModelOutput:
        text = input[-1].text
        temp = config.temperature if config.temperature is not None else 0.0
        k = self.calls[temp, text]  # a provider instance may serve several runs: count per temperature
        self.calls[temp, text] += 1
        i = question_of(text)
        if self.model_name == "flaky" and FLAKY["on"] and i == FLAKY_QUESTION and k >= 1:
            raise RuntimeError(f"flaky model fails on question {i}")
        value = 7 * i if answers_correctly(self.model_name, temp, text, k) else 7 * i + 1
        answer = " ".join(WORDS) + f" {value}"
        out = ModelOutput.from_content(model=self.model_name, content=answer)
        out.usage = ModelUsage(input_tokens=len(text.split()), output_tokens=len(answer.split()),
                               total_tokens=len(text.split()) + len(answer.split()))
        return out


@modelapi(name="oscatest")
def oscatest() -> type[ModelAPI]:
    return OscaTestAPI


@scorer(metrics=[accuracy()])
def half_credit():
    """C when the answer is right, P (partial) on odd questions when wrong, else I."""
    async def score(state: TaskState, target: Target) -> Score:
        ok = state.output.completion.split()[-1] == target.text
        i = int(str(state.sample_id)[1:])
        return Score(value=CORRECT if ok else PARTIAL if i % 2 else INCORRECT, answer=state.output.completion)
    return score


@scorer(metrics=[accuracy()])
def explode_on(question: str):
    """Raises on one question (the eval then stops with status error), else C/I like match()."""
    async def score(state: TaskState, target: Target) -> Score:
        if str(state.sample_id) == question:
            raise RuntimeError(f"scorer exploded on {question}")
        ok = state.output.completion.split()[-1] == target.text
        return Score(value=CORRECT if ok else INCORRECT)
    return score


def _dataset(questions: int) -> list[Sample]:
    return [Sample(id=f"q{i}", input=prompt(i), target=str(7 * i)) for i in range(questions)]


@task
def arith(questions: int = 6):
    return Task(dataset=_dataset(questions), solver=generate(), scorer=[match(), includes()])


@task
def arith_one(questions: int = 6):
    return Task(dataset=_dataset(questions), solver=generate(), scorer=match())


@task
def arith_includes(questions: int = 6):
    return Task(dataset=_dataset(questions), solver=generate(), scorer=includes())


@task
def arith_partial(questions: int = 6):
    return Task(dataset=_dataset(questions), solver=generate(), scorer=half_credit())


@task
def arith_error(questions: int = 6, explode: str = "q3"):
    return Task(dataset=_dataset(questions), solver=generate(), scorer=explode_on(explode))


def run(tasks, models: list[str], log_dir: Path, *, temperature: float, epochs: int, log_format: str = "eval",
        **kw) -> list:
    """Run ``tasks`` with ``oscatest/<model>`` for each model; returns inspect's EvalLog headers."""
    return eval(tasks, model=[f"oscatest/{m}" for m in models], log_dir=str(log_dir), temperature=temperature,
                epochs=epochs, log_format=log_format, display="none", max_samples=1, max_tasks=1,
                log_samples=True, score_display=False, **kw)
