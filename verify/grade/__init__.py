"""The grader: runs students' implementations in a sandbox and marks them against cnnref.

``cnnref grade`` is :mod:`cnnref.commands.grade`; one submission is graded by
:func:`verify.grade.grading.grade_source`, a class by :func:`verify.grade.runner.grade_many`.
"""
