#include "messages/register.hpp"

#include "caf/actor_system_config.hpp"
#include "caf/all.hpp"

#include "messages/errors.hpp"
#include "messages/type_ids.hpp"

namespace sonnet {

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::sonnet_types>();
  // The templated add_error_category<T> of 0.17.6 does not compile; give the renderer directly.
  cfg.add_error_category(caf::atom("sonnet"),
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string out = "sonnet: ";
                           out += to_string(static_cast<errc>(code));
                           if (!ctx.empty())
                             out += " " + caf::deep_to_string(ctx);
                           return out;
                         });
}

} // namespace sonnet
