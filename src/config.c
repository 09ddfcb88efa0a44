#include "hopscan/config.h"

#include <stdio.h>
#include <stdlib.h>

const char *const config_probe_names[PROBE_KINDS] = {"train", "test", "feature"};
void config_print_help(void *file) {
  fprintf(file, "(config reference not written yet)\n");
}
