/*
 * arch/x86.h for the host harness: the kernel's own header (declarations
 * only), so arch code written to be portable (acpi_aml.c) can be tested.
 */
#include "../../../../arch/x86_64/include/arch/x86.h"
