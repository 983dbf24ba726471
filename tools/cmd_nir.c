/* lsnn export-nir MODEL OUT.nir: a trained network as a NIR graph (lsnn/nir.h) in NIR's HDF5
 * layout: a dataset "version" and a group "node" holding the graph: "type" = "NIRGraph", a
 * group "nodes" with one group per node ("type", its parameters, a group "metadata" of strings)
 * and "edges", an (E, 2) array of node names. Only the CLI links libhdf5. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lsnn/nir.h"
#include "lsnn/train.h"

#ifdef LSNN_WITH_HDF5
#include <hdf5.h>
#endif

static const char *NIR_HELP =
    "usage: lsnn export-nir MODEL.safetensors OUT.nir\n"
    "\n"
    "Writes a trained spiking network as a NIR graph (the Neuromorphic Intermediate\n"
    "Representation, HDF5), which Norse, snnTorch, Lava, Rockpool, SpiNNaker2 and Xylo read:\n"
    "an Input node, one LIF node per population, Linear nodes for the weights between each pair\n"
    "of populations (one per synaptic delay, followed by a Delay node), the readout as Linear\n"
    "nodes into a leaky integrator (LI; Affine when readout_tau is 0) and an Output node. Time\n"
    "constants and delays are in seconds.\n"
    "\n"
    "Refused, with the population named: adaptive thresholds (ALIF, beta != 0), STDP-ALIF,\n"
    "Izhikevich and ASN neurons, which have no NIR node; bidirectional networks. What NIR's LIF\n"
    "does not express (lsnn's reset by subtraction, a refractory period) is printed and kept in\n"
    "each LIF node's metadata. docs/PYTHON.md, \"NIR\", lists the mapping.\n"
    "\n"
    "options:\n"
    "  -h, --help   this text\n";

#ifdef LSNN_WITH_HDF5
/* A scalar variable-length UTF-8 string dataset (what h5py writes for str). */
static int h5_string(hid_t loc, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t d = H5Dcreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int ok = d >= 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) >= 0;
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(s);
    H5Tclose(t);
    return ok;
}

static int h5_array(hid_t loc, const lsnn_nir_array *a)
{
    hsize_t dims[2] = {(hsize_t)a->shape[0], (hsize_t)a->shape[1]};
    hid_t s = H5Screate_simple(a->ndim, dims, NULL);
    hid_t ft = a->is_int ? H5T_STD_I64LE : H5T_IEEE_F32LE;
    hid_t mt = a->is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_FLOAT;
    hid_t d = H5Dcreate2(loc, a->name, ft, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int ok = d >= 0 && H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                a->is_int ? (const void *)a->i : (const void *)a->f) >= 0;
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(s);
    return ok;
}

static int h5_node(hid_t nodes, const lsnn_nir_node *n)
{
    hid_t g = H5Gcreate2(nodes, n->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return 0;
    int ok = h5_string(g, "type", n->type);
    for (int a = 0; ok && a < n->n_arrays; a++)
        ok = h5_array(g, &n->arr[a]);
    if (ok && n->n_meta > 0) {
        hid_t m = H5Gcreate2(g, "metadata", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        ok = m >= 0;
        for (int k = 0; ok && k < n->n_meta; k++)
            ok = h5_string(m, n->meta_key[k], n->meta_val[k]);
        if (m >= 0)
            H5Gclose(m);
    }
    H5Gclose(g);
    return ok;
}

static int h5_edges(hid_t loc, const lsnn_nir_graph *gr)
{
    const char **v = malloc(sizeof *v * 2 * (size_t)(gr->n_edges ? gr->n_edges : 1));
    if (!v)
        return 0;
    for (int e = 0; e < gr->n_edges; e++) {
        v[2 * e] = gr->edges[e][0];
        v[2 * e + 1] = gr->edges[e][1];
    }
    hsize_t dims[2] = {(hsize_t)gr->n_edges, 2};
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t s = H5Screate_simple(2, dims, NULL);
    hid_t d = H5Dcreate2(loc, "edges", t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int ok = d >= 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(s);
    H5Tclose(t);
    free(v);
    return ok;
}

/* Writes the graph to path through path.tmp.PID and a rename: no half-written file. */
static int write_nir(const char *path, const lsnn_nir_graph *gr)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* failures are reported below, once */
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        return die("%s: cannot create the file", path);
    int ok = h5_string(f, "version", "1.0.0");
    hid_t node = ok ? H5Gcreate2(f, "node", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    ok = node >= 0 && h5_string(node, "type", "NIRGraph");
    hid_t nodes = ok ? H5Gcreate2(node, "nodes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    ok = ok && nodes >= 0;
    for (int k = 0; ok && k < gr->n_nodes; k++)
        ok = h5_node(nodes, &gr->nodes[k]);
    ok = ok && h5_edges(node, gr);
    if (nodes >= 0)
        H5Gclose(nodes);
    if (node >= 0)
        H5Gclose(node);
    ok = H5Fclose(f) >= 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return die("%s: writing the HDF5 file failed", path);
    }
    return 0;
}
#endif

int cmd_export_nir(int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(NIR_HELP, stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return die("export-nir: unknown option '%s' (see lsnn export-nir --help)", argv[i]);
        if (npos == 2)
            return die("export-nir: too many arguments (see lsnn export-nir --help)");
        pos[npos++] = argv[i];
    }
    if (npos != 2)
        return die("export-nir: need MODEL.safetensors and OUT.nir (see lsnn export-nir --help)");
#ifndef LSNN_WITH_HDF5
    return die("export-nir: this lsnn was built without HDF5 (Debian: apt-get install "
               "libhdf5-dev, then rebuild)");
#else
    common_opts co = {0};
    lsnn_trainer tr;
    if (cli_load_model(pos[0], &co, &tr))
        return 1;
    if (!tr.model->spiking) {
        char model[LSNN_NAME_MAX];
        snprintf(model, sizeof model, "%s", tr.cfg.model);
        lsnn_trainer_free(&tr);
        return die("export-nir: %s: model '%s' is not a spiking network", pos[0], model);
    }
    lsnn_nir_graph g;
    lsnn_status st = lsnn_nir_build(&tr.net, &g);
    lsnn_trainer_free(&tr);
    if (st)
        return die("export-nir: %s: %s", pos[0], lsnn_last_error());
    int rc = write_nir(pos[1], &g);
    if (!rc) {
        printf("wrote %s: %d nodes, %d edges\n", pos[1], g.n_nodes, g.n_edges);
        printf("note: %s\n", g.notes);
    }
    lsnn_nir_free(&g);
    return rc;
#endif
}
