"""The answers: the one declarative model every front end, the schema and the docs are made from.

Owns ``model`` (the pydantic Answers and their fields' metadata), ``units`` (sizes and durations),
``form`` (the questions and steps generated from the model), ``schema`` (the JSON Schema),
``answers_file`` (reading with file:line errors, writing), ``secret_guard`` (what must never be
written) and ``docs_table`` (the quickstart table).
May import: ``wizard.base``.
"""
