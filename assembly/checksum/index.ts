// checksum kernels: exports added by the checksum work.
