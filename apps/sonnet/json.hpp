#pragma once
// Moved to messages/json.hpp; this forwarder goes once every include is updated.
#include "messages/json.hpp"
