/*
 * app_glue.c - compiled only into an APP image (the Makefile's APP=): tells
 * the kernel (kernel/app.c) the application's name and its main().
 */
#include <kernel/app.h>

int main(int argc, char **argv);

__attribute__((used, aligned(16), section(".ballast_app")))
static const struct ballast_app app_entry = { .name = APP_NAME, .main = main };
