/* ballast/ballast.h - every public header of an application on Ballast. */
#ifndef BALLAST_BALLAST_H
#define BALLAST_BALLAST_H
#include <ballast/app.h>
#include <ballast/pages.h>
#include <ballast/stats.h>
#include <ballast/cpus.h>
#include <ballast/shrinker.h>
#include <ballast/pressure.h>
#include <ballast/store.h>
#endif
