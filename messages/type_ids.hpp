#pragma once
// Type IDs of every message type and handle, chained after the atoms. Every node of a cluster
// loads the same blocks (register_types), or remote_actor rejects the interface.

#include "caf/type_id.hpp"

#include "messages/actors.hpp"
#include "messages/atoms.hpp"
#include "messages/types.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(sonnet_types, caf::id_block::sonnet_atoms::end)

CAF_ADD_TYPE_ID(sonnet_types, (sonnet::pulse))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::timings))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::generate_request))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::sonnet_reply))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::continue_request))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::continuation))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::formatted))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::judge_request))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::judgement))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::judged))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::store_request))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::stored_sonnet))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::cloud_stats))
CAF_ADD_TYPE_ID(sonnet_types, (std::vector<std::string>))
CAF_ADD_TYPE_ID(sonnet_types, (std::vector<sonnet::stored_sonnet>))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::model_actor))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::model_pool_actor))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::formatter_actor))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::cloud_actor))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::dissonance_actor))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::service_actor))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::service_control_actor))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::line_analysis))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::model_status))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::text_sink_actor))
CAF_ADD_TYPE_ID(sonnet_types, (std::vector<sonnet::store_request>))
CAF_ADD_TYPE_ID(sonnet_types, (std::vector<int64_t>))
CAF_ADD_TYPE_ID(sonnet_types, (std::vector<sonnet::judge_request>))
CAF_ADD_TYPE_ID(sonnet_types, (std::vector<sonnet::judged>))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::series_point))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::cloud_series))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::sonnet_stored))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::background_request))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::brain_report))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::phase_info))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::stored_sink_actor))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::emergent_actor))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::brain_actor))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::phase_actor))
CAF_ADD_TYPE_ID(sonnet_types, (sonnet::dream_actor))

CAF_END_TYPE_ID_BLOCK(sonnet_types)

static_assert(caf::has_type_id<sonnet::sonnet_reply>::value,
              "every message type needs a type ID to cross the network");
