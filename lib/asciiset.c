/* See asciiset.h. */
#include "config.h"
#include "asciiset.h"

const struct asciiset asciiset_unreserved = ASCIISET_OF(ASCIISET_UNRESERVED_BITS);
