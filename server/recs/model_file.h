/* A trained model as a file, for several instances over one PostgreSQL database: one
 * instance trains (the store's training lock), writes the model into the folder every
 * instance sees (beside the media), and the others load it rather than train again
 * (recs/recommender.c). The file is the model's arrays as they are in memory, behind a
 * header of their counts; loading checks every length against the counts and every index
 * against what it indexes, so a damaged or hostile file is refused, never read past. */
#ifndef SEGUE_RECS_MODEL_FILE_H
#define SEGUE_RECS_MODEL_FILE_H

#include <stddef.h>

#include "recs/model.h"

/* Writes m to path (a temporary file beside it, flushed, then renamed into place, mode
 * 0644: a model holds no secret but who listened to what in aggregate, as the database
 * does). Returns 0, or -1 with err. */
int recs_model_save(const struct recs_model *m, const char *path, char *err, size_t errlen);
/* The model in path with one reference, or NULL with err. */
struct recs_model *recs_model_load(const char *path, char *err, size_t errlen);

#endif
