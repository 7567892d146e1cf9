// Frame vector: the unit of every batch kernel call. Mirrors assembly/abi.ts.
//
//   entry i at vec + i * FRAME_VEC_STRIDE, little-endian u32 words:
//   +0 ptr (byte offset of the frame in linear memory)  +4 len  +8 arg (kernel input)  +12 out (kernel result)

export const FRAME_VEC_PTR = 0;
export const FRAME_VEC_LEN = 4;
export const FRAME_VEC_ARG = 8;
export const FRAME_VEC_OUT = 12;
export const FRAME_VEC_STRIDE = 16;
