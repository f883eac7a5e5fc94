"""Skill matching: ambiguous tokens, symbols, aliases, parents, explicit lists, taxonomy."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.data.ingest.rules import Rules
from newsletter.data.ingest.skills import compile_skills, haystack
from newsletter.errors import IngestError
from tests.ingest_support import normalized


def skills_of(rules: Rules, description: str, title: str = "Engineer") -> list[str]:
    out = normalized(rules, [{"title": title, "description": description}])
    return list(out["skills"][0])


def test_taxonomy_size_and_groups(ingest_rules: Rules) -> None:
    skills = ingest_rules.skills.skills
    assert len(skills) >= 300
    groups = {s.group for s in skills}
    assert {"languages", "ml", "llm", "mlops", "data", "cloud", "databases"} <= groups
    for name in ("RAG", "Vector databases", "LangChain", "vLLM", "PyTorch", "Kubernetes"):
        assert any(s.name == name for s in skills), name


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("We use Python, R and SQL daily.", {"Python", "R", "SQL"}, set()),
        ("Our R&D team ships fast.", set(), {"R"}),
        ("Brand® products, R&D, and more. Python not required", {"Python"}, {"R"}),
        ("Experience with R programming or RStudio.", {"R"}, set()),
        ("Backend in Go, Python and Rust.", {"Go", "Python", "Rust"}, set()),
        ("Own our go-to-market motion and go live fast.", set(), {"Go"}),
        ("Go-To-Market lead. Python is a plus.", {"Python"}, {"Go"}),
        ("Golang microservices", {"Go"}, set()),
        ("Modern C++ and C# on .NET; some ASP.NET.", {"C++", "C#", ".NET", "ASP.NET"}, set()),
        ("Links against libc++abi", set(), {"C++"}),
        ("Build RAG pipelines with LangChain", {"RAG", "LangChain"}, set()),
        ("retrieval-augmented generation on a vector database", {"RAG", "Vector databases"}, set()),
        ("He dragged the rag across the floor.", set(), {"RAG"}),
        ("Trust & Safety and rust-proofing", set(), {"Rust"}),
        ("PostgreSQL and NoSQL stores", {"PostgreSQL", "NoSQL"}, {"SQL"}),
        ("Apache Spark and Snowflake", {"Spark", "Snowflake"}, set()),
        ("spark joy on a snowflake day", set(), {"Spark", "Snowflake"}),
        ("TF models and TF state", set(), {"TensorFlow", "Terraform"}),
        ("Serving with Ray Serve and vLLM", {"Ray", "vLLM"}, set()),
        ("Sting Ray aquarium", set(), {"Ray"}),
        ("k8s, EKS and docker", {"Kubernetes", "Docker"}, set()),
        ("large language models and GenAI", {"LLMs", "Generative AI"}, set()),
        ("sklearn and LoRA fine-tuning", {"scikit-learn", "Fine-tuning"}, set()),
        ("You will excel in a fast-paced team", set(), {"Excel"}),
        ("Advanced Excel and Power BI", {"Excel", "Power BI"}, set()),
        ("Spring boot microservices", {"Spring", "Microservices"}, set()),
        ("Spring 2025 internship", set(), {"Spring"}),
        ("HTML5, CSS and Node.js", {"HTML", "CSS", "Node.js"}, set()),
        ("A/B testing and CI/CD", {"A/B testing", "CI/CD"}, set()),
        ("Swift and Kotlin for mobile", {"Swift", "Kotlin"}, set()),
        ("swift delivery of results", set(), {"Swift"}),
        ("Embedded C, C++ and Python", {"C", "C++", "Python"}, set()),
        ("Present to C-level stakeholders; Python a plus", {"Python"}, {"C"}),
    ],
)
def test_tokens(ingest_rules: Rules, text: str, present: set[str], absent: set[str]) -> None:
    found = set(skills_of(ingest_rules, text))
    assert present <= found, f"missing {present - found} in {found}"
    assert not (absent & found), f"false hits {absent & found}"


def test_parents_are_added(ingest_rules: Rules) -> None:
    found = set(
        skills_of(ingest_rules, "Deploy on SageMaker, Vertex AI and Azure OpenAI; Pinecone")
    )
    assert {"SageMaker", "AWS", "Vertex AI", "GCP", "Azure OpenAI", "Azure"} <= found
    assert {"Pinecone", "Vector databases"} <= found


def test_each_skill_once_sorted(ingest_rules: Rules) -> None:
    found = skills_of(
        ingest_rules, "Python, python, PYTHON 3 and Python3", title="Python Developer"
    )
    assert found == ["Python"]


def test_title_counts_too(ingest_rules: Rules) -> None:
    assert "PyTorch" in skills_of(ingest_rules, "", title="PyTorch Engineer")


def test_explicit_list_wins_and_is_canonicalized(ingest_rules: Rules) -> None:
    out = normalized(
        ingest_rules,
        [
            {
                "title": "Data Analyst",
                "description": "Python",
                "skills": ["sql", "go", "r", "power bi"],
            },
            {"title": "Data Analyst", "skills": ["ms access", "mystery-tool"]},
            {"title": "Data Analyst", "description": "We use Tableau", "skills": []},
        ],
    )
    assert out["skills"].to_list() == [
        ["Go", "Power BI", "R", "SQL"],
        ["Microsoft Access", "mystery-tool"],
        ["Tableau"],
    ]
    assert out["skills_source"].to_list() == ["explicit", "explicit", "text"]


def test_unknown_listed_names_are_one_line_of_visible_text(ingest_rules: Rules) -> None:
    """An export's skill list is untrusted text like a title: an escape sequence, a line
    break or a bidi override in a name would reach the terminal, the plain-text email and
    the MJML source (whose parser an ESC stops)."""
    listed = ["\x1b[31mRED", "Line1\nLine2", "\u202etxt.exe", "Foo\u200bBar", "  ", "x" * 61]
    out = normalized(ingest_rules, [{"title": "Data Analyst", "skills": listed}])
    assert out["skills"].to_list() == [["FooBar", "Line1 Line2", "[31mRED", "txt.exe"]]


def test_html_descriptions_are_stripped(ingest_rules: Rules) -> None:
    found = skills_of(
        ingest_rules, "&lt;li&gt;Python&lt;/li&gt;&lt;li&gt;C&amp;#43;&amp;#43;&lt;/li&gt;"
    )
    assert "Python" in found


def test_a_spelling_with_nothing_left_to_match_is_refused(ingest_rules: Rules) -> None:
    # "--" would become an empty key that never matches: a rule that silently does nothing.
    skills = ingest_rules.skills
    python = next(s for s in skills.skills if s.name == "Python")
    broken = skills.model_copy(
        update={
            "skills": tuple(
                s.model_copy(update={"aliases": (*s.aliases, "--", "...")}) if s is python else s
                for s in skills.skills
            )
        }
    )
    with pytest.raises(IngestError, match=r"skills\.yaml: '--', '\.\.\.' can never match"):
        compile_skills(broken)
    compile_skills(skills)  # the shipped rules have none


def test_a_skill_list_given_as_json_text_is_decoded(ingest_rules: Rules) -> None:
    """A JSON file whose skills mix lists and text is read as text: a JSON array kept its
    escapes ("Py\\\\u0000thon"), its nulls ("null") and split on the commas inside names."""
    import polars as pl

    from newsletter.data.ingest.columns import _as_list

    texts = ['["Py\\u0000thon", "R\\nmarkdown", null, 5, "Cats, Dogs"]', "['sql', 'python']"]
    got = pl.DataFrame({"s": texts}).select(_as_list("s", pl.String())).to_series().to_list()
    assert got == [["Py\x00thon", "R\nmarkdown", "Cats, Dogs"], ["sql", "python"]]


def test_a_skill_list_of_objects_is_read_by_their_names(
    tmp_path: Path, ingest_rules: Rules
) -> None:
    """A board or export listing skills as objects (``[{"name": "python", "level": 3}]``)
    had each object shown as a skill named ``{"python",3}`` or ``{"name": "python", ...}``:
    a Parquet or JSON list of objects, or such a list as JSON text in a CSV cell, is read by
    each object's naming field (``name``, ``skill``, ``label``...; else its first text)."""
    import json
    from datetime import date

    from newsletter.data.ingest import ingest
    from tests.conftest import NOW

    listed = [{"name": "python", "level": 3}, {"name": "ms access", "level": 1}]
    row = {"id": "1", "title": "Data Analyst", "company": "Acme", "location": "Austin, TX"}
    jsonl = tmp_path / "week.jsonl"
    jsonl.write_text(json.dumps({**row, "skills": listed}) + "\n", encoding="utf-8")
    parquet = tmp_path / "week.parquet"
    pl.DataFrame([{**row, "skills": listed}]).write_parquet(parquet)
    csv = tmp_path / "week.csv"
    pl.DataFrame(
        [{**row, "skills": json.dumps([{"label": "python"}, {"x": "MS Access"}])}]
    ).write_csv(csv)
    for path in (jsonl, parquet, csv):
        got = ingest([path], date(2026, 11, 23), ingest_rules, now=NOW).snapshot
        assert got["skills"].to_list() == [["Microsoft Access", "Python"]], path.name
    # a list of lists names nothing: the skills come from the text (it refused the file)
    nested = tmp_path / "nested.parquet"
    pl.DataFrame([{**row, "description": "SQL", "skills": [[1, 2]]}]).write_parquet(nested)
    got = ingest([nested], date(2026, 11, 23), ingest_rules, now=NOW).snapshot
    assert got["skills"].to_list() == [["SQL"]]


def _haystack_in_passes(expr: pl.Expr) -> pl.Expr:
    """The haystack as it was first written: sentence dots, other characters, space runs."""
    x = (
        expr.str.replace_all(r"\.+(?:\s|$)", " ")
        .str.replace_all(r"[^A-Za-z0-9+#.& ]+", " ")
        .str.replace_all(r"  +", " ")
    )
    return pl.concat_str([pl.lit(" "), x, pl.lit(" ")])


_HAY_PIECES = ["a", "Z", "9", "+", "#", ".", "&", " ", "  ", "\n", "\t", ",", ":", "(", "-",
               "/", "\xa0", "\u2028", "é", "..", ". ", ".\n", "C++", "R&D", ".NET"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_HAY_PIECES), max_size=12).map("".join), max_size=40))
def test_the_one_pass_haystack_is_the_three_pass_one(texts: list[str]) -> None:
    frame = pl.DataFrame({"t": [*texts, None]}, schema={"t": pl.String})
    got = frame.select(haystack(pl.col("t"))).to_series()
    assert got.to_list() == frame.select(_haystack_in_passes(pl.col("t"))).to_series().to_list()
