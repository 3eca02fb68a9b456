#include "kp_codecs.h"
int kp_codecs_placeholder(void) { return 0; }
