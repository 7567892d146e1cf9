// atm kernels: exports added by the atm work.
