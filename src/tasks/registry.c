/* Registry of tasks: a new experiment is one file plus one line here. */
#include <string.h>

#include "lsnn/task.h"

extern const lsnn_task lsnn_task_store_recall;
extern const lsnn_task lsnn_task_smnist;
extern const lsnn_task lsnn_task_timit;
extern const lsnn_task lsnn_task_softmax;
extern const lsnn_task lsnn_task_kwta;

static const lsnn_task *const lsnn__tasks[] = {
    &lsnn_task_store_recall,
    &lsnn_task_smnist,
    &lsnn_task_timit,
    &lsnn_task_softmax,
    &lsnn_task_kwta,
};

const lsnn_task *lsnn_task_find(const char *name)
{
    for (size_t i = 0; i < sizeof lsnn__tasks / sizeof lsnn__tasks[0]; i++)
        if (strcmp(lsnn__tasks[i]->name, name) == 0)
            return lsnn__tasks[i];
    return NULL;
}
