#include "messages/register.hpp"

#include "caf/actor_system_config.hpp"
#include "caf/all.hpp"

#include "messages/errors.hpp"
#include "messages/type_ids.hpp"

namespace sonnet {

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::sonnet_types>();
  cfg.add_error_category<errc>(caf::atom("sonnet"));
}

} // namespace sonnet
