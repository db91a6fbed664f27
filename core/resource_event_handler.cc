#include "core/resource_event_handler.h"

namespace informersim {

void ResourceEventHandlerFuncs::OnAdd(const Item& obj, bool is_in_initial_list) {
  if (add_func) add_func(obj, is_in_initial_list);
}

void ResourceEventHandlerFuncs::OnUpdate(const Item& old_obj, const Item& new_obj) {
  if (update_func) update_func(old_obj, new_obj);
}

void ResourceEventHandlerFuncs::OnDelete(const Item& obj) {
  if (delete_func) delete_func(obj);
}

void FilteringResourceEventHandler::OnAdd(const Item& obj, bool is_in_initial_list) {
  if (filter_(obj)) handler_->OnAdd(obj, is_in_initial_list);
}

// C6: the filter decides how the change looks to the inner handler.
void FilteringResourceEventHandler::OnUpdate(const Item& old_obj, const Item& new_obj) {
  const bool newer = filter_(new_obj);
  const bool older = filter_(old_obj);
  if (newer && older) {
    handler_->OnUpdate(old_obj, new_obj);
  } else if (newer) {
    handler_->OnAdd(new_obj, /*is_in_initial_list=*/false);
  } else if (older) {
    handler_->OnDelete(old_obj);
  }
}

void FilteringResourceEventHandler::OnDelete(const Item& obj) {
  if (filter_(obj)) handler_->OnDelete(obj);
}

}  // namespace informersim
