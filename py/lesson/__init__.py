"""The Python side of the lesson: each widget's computation, the playground and code cells, behind `lesson.api`."""
