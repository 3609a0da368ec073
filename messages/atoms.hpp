#pragma once
// Every atom of the system, in one place. Texts are at most 10 characters (CAF 0.17 limit).

#include "caf/atom.hpp"
#include "caf/type_id.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(sonnet_atoms, caf::first_custom_type_id)

// -- generation ---------------------------------------------------------
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, generate, "generate")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, format, "format")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, judge, "judge")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, dissonance, "dissonance")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, model, "model")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, connect, "connect")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, drain, "drain")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, step, "step")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, chunk, "chunk")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, cancel, "cancel")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, status, "status")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, reload, "reload")

// -- the cloud ----------------------------------------------------------
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, store, "store")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, stats, "stats")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, recent, "recent")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, best, "best")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, get, "get")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, vocabulary, "vocabulary")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, series, "series")


// -- the emergent layer ---------------------------------------------------
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, stored, "stored")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, subscribe, "subscribe")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, score, "score")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, brain, "brain")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, phase, "phase")
CAF_ADD_ATOM(sonnet_atoms, sonnet::atom, dream, "dream")

CAF_END_TYPE_ID_BLOCK(sonnet_atoms)
