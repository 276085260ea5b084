"""Texts of installed packages that ship no compiled pt-BR catalog of their own.

django-celery-results (its results in the admin) ships a pt_BR .po but no .mo, so Django
shows its app, model and field names in English. Listed here (gettext_noop: nothing runs),
makemessages keeps them in our catalog, where they are translated like ours.
"""

from django.utils.translation import gettext_noop

DJANGO_CELERY_RESULTS = (
    gettext_noop("Parameters"),
    gettext_noop("Result"),
    gettext_noop("Celery Results"),
    gettext_noop("Task ID"),
    gettext_noop("Celery ID for the Task that was run"),
    gettext_noop("Periodic Task Name"),
    gettext_noop("Name of the Periodic Task which was run"),
    gettext_noop("Task Name"),
    gettext_noop("Name of the Task which was run"),
    gettext_noop("Task Positional Arguments"),
    gettext_noop("JSON representation of the positional arguments used with the task"),
    gettext_noop("Task Named Arguments"),
    gettext_noop("JSON representation of the named arguments used with the task"),
    gettext_noop("Task State"),
    gettext_noop("Current state of the task being run"),
    gettext_noop("Worker"),
    gettext_noop("Worker that executes the task"),
    gettext_noop("Result Content Type"),
    gettext_noop("Content type of the result data"),
    gettext_noop("Result Encoding"),
    gettext_noop("The encoding used to save the task result data"),
    gettext_noop("Result Data"),
    gettext_noop(
        "The data returned by the task.  Use content_encoding and content_type fields to read."
    ),
    gettext_noop("Created DateTime"),
    gettext_noop("Datetime field when the task result was created in UTC"),
    gettext_noop("Completed DateTime"),
    gettext_noop("Datetime field when the task was completed in UTC"),
    gettext_noop("Traceback"),
    gettext_noop("Text of the traceback if the task generated one"),
    gettext_noop("Task Meta Information"),
    gettext_noop("JSON meta information about the task, such as information on child tasks"),
    gettext_noop("task result"),
    gettext_noop("task results"),
    gettext_noop("Group ID"),
    gettext_noop("Celery ID for the Chord header group"),
    gettext_noop("JSON serialized list of task result tuples. use .group_result() to decode"),
    gettext_noop("Starts at len(chord header) and decrements after each task is finished"),
    gettext_noop("Celery ID for the Group that was run"),
    gettext_noop("Datetime field when the group result was created in UTC"),
    gettext_noop("Datetime field when the group was completed in UTC"),
    gettext_noop("group result"),
    gettext_noop("group results"),
)
