#include "messages/errors.hpp"

#include "caf/all.hpp"

namespace sonnet {

caf::error make_caf_error(errc code, std::string message) {
  return caf::make_error(code, std::move(message));
}

caf::error to_caf(const error& e) {
  return make_caf_error(e.code, e.message);
}

bool is(const caf::error& e, errc code) {
  return e.category() == caf::atom("sonnet") && e.code() == static_cast<uint8_t>(code);
}

error from_caf(const caf::error& e) {
  if (!e)
    return {};
  if (e.category() == caf::atom("sonnet")) {
    std::string msg;
    const auto& ctx = e.context();
    if (ctx.size() == 1 && ctx.match_element<std::string>(0))
      msg = ctx.get_as<std::string>(0);
    else if (!ctx.empty())
      msg = caf::deep_to_string(ctx);
    return {static_cast<errc>(e.code()), std::move(msg)};
  }
  if (e == caf::sec::request_timeout)
    return {errc::timeout, "a stage did not answer in time"};
  if (e == caf::sec::request_receiver_down)
    return {errc::model_unavailable, "the actor serving the request went down"};
  return {errc::internal, caf::to_string(e)};
}

} // namespace sonnet
