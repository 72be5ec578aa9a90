# Subnormals flushed to zero around a kernel's loop on the thread that runs it (float_env.h).
cdef extern from "float_env.h" nogil:
    unsigned int cnnref_flush_subnormals()
    void cnnref_restore_float_env(unsigned int saved)
