// window kernels: exports added by the window work.
