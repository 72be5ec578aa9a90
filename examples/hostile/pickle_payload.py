"""A hostile ``seed`` submission: relu returns an object that runs a shell command when
unpickled, and softmax returns the pickled bytes.

Only what differs from ``examples/seed/correct.py``; ``assemble.py`` appends it to that file.
"""

import os
import pickle


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/cnnref_pickle_payload_ran",))


def relu(a):
    return Payload()


def softmax(a):
    return pickle.dumps(Payload())
