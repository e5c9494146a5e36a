/* catalog: the entities, one function per entity file returning its
 * descriptor (static const storage, never written). */
#ifndef POLLSTER_CATALOG_H
#define POLLSTER_CATALOG_H

#include "extractors/entity.h"

const extractor *ex__aggregate(void);
const extractor *ex__hypervisor(void);
const extractor *ex__project(void);
const extractor *ex__user(void);
const extractor *ex__role(void);
const extractor *ex__flavour(void);
const extractor *ex__instance(void);
const extractor *ex__historical_usage(void);
const extractor *ex__volume(void);
const extractor *ex__image(void);
const extractor *ex__allocation(void);

#endif
