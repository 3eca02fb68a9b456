// Placeholder; replaced by the codec shim.
int kp_codecs_placeholder(void);
