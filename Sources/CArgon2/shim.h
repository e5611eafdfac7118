#ifndef UPLINK_CARGON2_SHIM_H
#define UPLINK_CARGON2_SHIM_H
#include <argon2.h>
#endif
