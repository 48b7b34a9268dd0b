#ifndef ODYN_H
#define ODYN_H

/* odyn: deep neural networks trained as dynamic inverse problems, on PETSc. */
#include <odynsys.h>
#include <odynlayer.h>
#include <odynscheme.h>
#include <odynnet.h>
#include <odynloss.h>
#include <odynreg.h>
#include <odyntrain.h>
#include <odyndata.h>
#include <odynplot.h>
#include <odynmodel.h>

#endif
