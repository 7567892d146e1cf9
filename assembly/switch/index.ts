// switch kernels: exports added by the switch work.
