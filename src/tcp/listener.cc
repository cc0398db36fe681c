// Listener queues, see listener.h.
#include "tcp/listener.h"

namespace ustack {
namespace {
Connection* OwnerOf(ListNode* n) {
  return n ? static_cast<OwnedNode<Connection>*>(n)->owner() : nullptr;
}
}  // namespace

Listener::~Listener() {
  // The engine empties the lists before destroying a listener; unlink defensively.
  while (Connection* c = PopAny()) c->set_listener(nullptr);
}

void Listener::AddHalfOpen(Connection* c) {
  c->set_listener(this);
  c->set_listen_queue(ListenQueue::kHalfOpen);
  half_open_.PushBack(&c->listen_node());
  ++half_open_count_;
}

void Listener::MoveToAcceptQueue(Connection* c) {
  Remove(c);
  c->set_listener(this);
  c->set_listen_queue(ListenQueue::kAccept);
  accepted_.PushBack(&c->listen_node());
  ++accept_count_;
  if (sink_) sink_->OnEvents(events());
}

void Listener::Remove(Connection* c) {
  if (c->listen_queue() == ListenQueue::kHalfOpen) --half_open_count_;
  if (c->listen_queue() == ListenQueue::kAccept) --accept_count_;
  c->listen_node().Unlink();
  c->set_listen_queue(ListenQueue::kNone);
}

Connection* Listener::PopAccepted() {
  Connection* c = OwnerOf(accepted_.front());
  if (c) {
    Remove(c);
    c->set_listener(nullptr);
  }
  return c;
}

Connection* Listener::PopAny() {
  Connection* c = OwnerOf(accepted_.front());
  if (!c) c = OwnerOf(half_open_.front());
  if (c) {
    Remove(c);
    c->set_listener(nullptr);
  }
  return c;
}

}  // namespace ustack
