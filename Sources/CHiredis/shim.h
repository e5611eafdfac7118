#ifndef UPLINK_CHIREDIS_SHIM_H
#define UPLINK_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
