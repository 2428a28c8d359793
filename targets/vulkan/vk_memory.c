/* Device memory: tsr_buffers are 256-byte-aligned ranges of a few large
 * chunks (one VkDeviceMemory + one VkBuffer each, first-fit free lists),
 * requests larger than a chunk get a dedicated one. On unified memory (an
 * integrated GPU or a CPU device whose device-local memory is host-visible)
 * chunks stay mapped and uploads are a single memcpy into the memory the
 * shaders read (weights get no second copy); otherwise uploads and downloads
 * bounce through a host-visible staging chunk with a transfer submission. */
#include <string.h>

#include "targets/vulkan/vk_internal.h"

#define STAGING_BYTES ((uint64_t)16 << 20)

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

static void chunk_destroy(vk_target *t, vk_chunk *c) {
  if (c == NULL) return;
  vk_fns *f = &t->fn;
  if (c->host) f->vkUnmapMemory(t->device, c->memory);
  if (c->buffer) f->vkDestroyBuffer(t->device, c->buffer, NULL);
  if (c->memory) f->vkFreeMemory(t->device, c->memory, NULL);
  tsr_free(t->base.allocator, c->free);
  tsr_free(t->base.allocator, c);
}

static int32_t pick_type(const vk_target *t, uint32_t bits, uint32_t preferred) {
  if (bits & (1u << preferred)) return (int32_t)preferred;
  VkMemoryPropertyFlags want = t->mem_props.memoryTypes[preferred].propertyFlags;
  for (uint32_t i = 0; i < t->mem_props.memoryTypeCount; ++i) {
    if ((bits & (1u << i)) && (t->mem_props.memoryTypes[i].propertyFlags & want) == want) return (int32_t)i;
  }
  return -1;
}

static tsr_status chunk_create(vk_target *t, uint64_t size, uint32_t type, bool map, bool dedicated,
                               vk_chunk **out) {
  vk_fns *f = &t->fn;
  vk_chunk *c = tsr_alloc(t->base.allocator, sizeof(*c), 0);
  if (c == NULL) return VK_FAIL(t, TSR_ERR_OUT_OF_MEMORY, "vulkan: chunk record");
  memset(c, 0, sizeof(*c));
  c->size = size;
  c->dedicated = dedicated;
  VkBufferCreateInfo bi = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
      .size = size,
      .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
      .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  VkResult r = f->vkCreateBuffer(t->device, &bi, NULL, &c->buffer);
  if (r != VK_SUCCESS) {
    chunk_destroy(t, c);
    return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: vkCreateBuffer(%llu bytes): %s", (unsigned long long)size,
                   tsr_vk_result_name(r));
  }
  VkMemoryRequirements req;
  f->vkGetBufferMemoryRequirements(t->device, c->buffer, &req);
  int32_t ty = pick_type(t, req.memoryTypeBits, type);
  if (ty < 0) {
    chunk_destroy(t, c);
    return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: no memory type for storage buffers");
  }
  VkMemoryAllocateInfo ai = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
      .allocationSize = req.size,
      .memoryTypeIndex = (uint32_t)ty,
  };
  r = f->vkAllocateMemory(t->device, &ai, NULL, &c->memory);
  if (r != VK_SUCCESS) {
    c->memory = VK_NULL_HANDLE;
    chunk_destroy(t, c);
    return VK_FAIL(t, r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY ? TSR_ERR_OUT_OF_MEMORY
                                                                                              : TSR_ERR_DEVICE,
                   "vulkan: vkAllocateMemory(%llu bytes): %s", (unsigned long long)req.size, tsr_vk_result_name(r));
  }
  c->type_index = (uint32_t)ty;
  c->host_visible = (t->mem_props.memoryTypes[ty].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) != 0;
  r = f->vkBindBufferMemory(t->device, c->buffer, c->memory, 0);
  if (r == VK_SUCCESS && map && c->host_visible) {
    void *p = NULL;
    r = f->vkMapMemory(t->device, c->memory, 0, VK_WHOLE_SIZE, 0, &p);
    c->host = p;
  }
  if (r != VK_SUCCESS) {
    c->host = NULL;
    chunk_destroy(t, c);
    return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: binding or mapping memory: %s", tsr_vk_result_name(r));
  }
  c->cap_free = 8;
  c->free = tsr_alloc(t->base.allocator, sizeof(vk_range) * c->cap_free, 0);
  if (c->free == NULL) {
    chunk_destroy(t, c);
    return VK_FAIL(t, TSR_ERR_OUT_OF_MEMORY, "vulkan: free list");
  }
  c->free[0] = (vk_range){0, size};
  c->n_free = 1;
  *out = c;
  return TSR_OK;
}

/* First fit; ranges are multiples of the sub-allocation alignment. */
static bool chunk_take(vk_chunk *c, uint64_t size, uint64_t *out_off) {
  for (uint32_t i = 0; i < c->n_free; ++i) {
    if (c->free[i].size < size) continue;
    *out_off = c->free[i].offset;
    c->free[i].offset += size;
    c->free[i].size -= size;
    if (c->free[i].size == 0) {
      memmove(&c->free[i], &c->free[i + 1], sizeof(vk_range) * (c->n_free - i - 1));
      c->n_free--;
    }
    c->used += size;
    return true;
  }
  return false;
}

static tsr_status chunk_give(vk_target *t, vk_chunk *c, uint64_t off, uint64_t size) {
  uint32_t i = 0;
  while (i < c->n_free && c->free[i].offset < off) ++i;
  bool merge_prev = i > 0 && c->free[i - 1].offset + c->free[i - 1].size == off;
  bool merge_next = i < c->n_free && off + size == c->free[i].offset;
  c->used -= size;
  if (merge_prev && merge_next) {
    c->free[i - 1].size += size + c->free[i].size;
    memmove(&c->free[i], &c->free[i + 1], sizeof(vk_range) * (c->n_free - i - 1));
    c->n_free--;
  } else if (merge_prev) {
    c->free[i - 1].size += size;
  } else if (merge_next) {
    c->free[i].offset = off;
    c->free[i].size += size;
  } else {
    if (c->n_free == c->cap_free) {
      uint32_t nc = c->cap_free * 2;
      vk_range *n = tsr_alloc(t->base.allocator, sizeof(vk_range) * nc, 0);
      if (n == NULL) return VK_FAIL(t, TSR_ERR_OUT_OF_MEMORY, "vulkan: free list");
      memcpy(n, c->free, sizeof(vk_range) * c->n_free);
      tsr_free(t->base.allocator, c->free);
      c->free = n;
      c->cap_free = nc;
    }
    memmove(&c->free[i + 1], &c->free[i], sizeof(vk_range) * (c->n_free - i));
    c->free[i] = (vk_range){off, size};
    c->n_free++;
  }
  return TSR_OK;
}

static tsr_status chunks_push(vk_target *t, vk_chunk *c) {
  if (t->n_chunks == t->cap_chunks) {
    uint32_t nc = t->cap_chunks ? t->cap_chunks * 2 : 8;
    vk_chunk **n = tsr_alloc(t->base.allocator, sizeof(vk_chunk *) * nc, 0);
    if (n == NULL) return VK_FAIL(t, TSR_ERR_OUT_OF_MEMORY, "vulkan: chunk table");
    if (t->chunks) memcpy(n, t->chunks, sizeof(vk_chunk *) * t->n_chunks);
    tsr_free(t->base.allocator, t->chunks);
    t->chunks = n;
    t->cap_chunks = nc;
  }
  t->chunks[t->n_chunks++] = c;
  return TSR_OK;
}

tsr_status tsr_vk_memory_init(vk_target *t) {
  bool cpu = t->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
  t->chunk_size = cpu ? ((uint64_t)64 << 20) : ((uint64_t)256 << 20);
  if (t->chunk_size > t->max_alloc) t->chunk_size = t->max_alloc / TSR_VK_SUBALLOC_ALIGN * TSR_VK_SUBALLOC_ALIGN;
  if (!t->unified) return chunk_create(t, STAGING_BYTES, t->type_host, true, true, &t->staging);
  return TSR_OK;
}

void tsr_vk_memory_deinit(vk_target *t) {
  for (uint32_t i = 0; i < t->n_chunks; ++i) chunk_destroy(t, t->chunks[i]);
  tsr_free(t->base.allocator, t->chunks);
  t->chunks = NULL;
  t->n_chunks = t->cap_chunks = 0;
  chunk_destroy(t, t->staging);
  t->staging = NULL;
}

tsr_status tsr_vulkan_force_staging(tsr_target *tt) {
  if (!tsr_vulkan_is_target(tt)) return TSR_ERR_INVALID_ARGUMENT;
  vk_target *t = tsr_vk_cast(tt);
  if (t->n_chunks > 0) return VK_FAIL(t, TSR_ERR_STATE, "vulkan: force_staging after buffers were made");
  t->force_staging = true;
  if (t->staging == NULL) return chunk_create(t, STAGING_BYTES, t->type_host, true, true, &t->staging);
  return TSR_OK;
}

tsr_status tsr_vk_buffer_alloc(tsr_target *tt, uint64_t size, uint32_t usage, tsr_buffer *out) {
  vk_target *t = tsr_vk_cast(tt);
  bool host = (usage & TSR_BUFFER_HOST_VISIBLE) || (t->unified && !t->force_staging);
  uint32_t type = (usage & TSR_BUFFER_HOST_VISIBLE) ? t->type_host : t->type_device;
  uint64_t need = align_up(size ? size : 1, TSR_VK_SUBALLOC_ALIGN);
  if (need > t->max_alloc)
    return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: a %llu-byte buffer exceeds maxMemoryAllocationSize (%llu)",
                   (unsigned long long)size, (unsigned long long)t->max_alloc);
  vk_chunk *c = NULL;
  uint64_t off = 0;
  for (uint32_t i = 0; i < t->n_chunks && c == NULL; ++i) {
    vk_chunk *k = t->chunks[i];
    if (k->dedicated || k->type_index != type || (k->host != NULL) != host) continue;
    if (chunk_take(k, need, &off)) c = k;
  }
  if (c == NULL) {
    bool dedicated = need > t->chunk_size;
    TSR_TRY(chunk_create(t, dedicated ? need : t->chunk_size, type, host, dedicated, &c));
    tsr_status s = chunks_push(t, c);
    if (s != TSR_OK) {
      chunk_destroy(t, c);
      return s;
    }
    if (!chunk_take(c, need, &off)) return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: new chunk too small");
  }
  memset(out, 0, sizeof(*out));
  out->target = tt;
  out->handle = c;
  out->handle_offset = off;
  out->size = size;
  out->host = c->host ? c->host + off : NULL;
  return TSR_OK;
}

void tsr_vk_buffer_free(tsr_target *tt, tsr_buffer *buf) {
  vk_target *t = tsr_vk_cast(tt);
  vk_chunk *c = buf->handle;
  if (c == NULL) return;
  uint32_t idx = t->n_chunks;
  for (uint32_t i = 0; i < t->n_chunks; ++i) {
    if (t->chunks[i] == c) idx = i;
  }
  if (idx == t->n_chunks) return; /* not ours */
  if (t->pending) {
    tsr_status ws = tsr_vk_wait(tt); /* an error stays in t->base.error */
    (void)ws;
  }
  uint64_t need = align_up(buf->size ? buf->size : 1, TSR_VK_SUBALLOC_ALIGN);
  (void)chunk_give(t, c, buf->handle_offset, need);
  /* Dedicated chunks go back as soon as they are empty; shared ones stay. */
  if (c->used == 0 && c->dedicated) {
    chunk_destroy(t, c);
    t->chunks[idx] = t->chunks[--t->n_chunks];
  }
  memset(buf, 0, sizeof(*buf));
}

tsr_status tsr_vk_buffer_map(tsr_target *tt, tsr_buffer *buf, void **out) {
  vk_target *t = tsr_vk_cast(tt);
  if (buf->host == NULL) return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: buffer is not host-visible");
  *out = buf->host;
  return TSR_OK;
}

/* Records and runs one copy through the staging chunk, synchronously. */
static tsr_status staging_copy(vk_target *t, VkBuffer src, uint64_t src_off, VkBuffer dst, uint64_t dst_off,
                               uint64_t n, bool to_device) {
  vk_fns *f = &t->fn;
  VkCommandBufferBeginInfo bi = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
      .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };
  VkResult r = f->vkResetCommandBuffer(t->xfer_cmd, 0);
  if (r == VK_SUCCESS) r = f->vkBeginCommandBuffer(t->xfer_cmd, &bi);
  if (r != VK_SUCCESS) return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: transfer record: %s", tsr_vk_result_name(r));
  /* Earlier shader or transfer work on the device buffer completes first. */
  VkMemoryBarrier before = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT |
                       VK_ACCESS_TRANSFER_READ_BIT,
      .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
  };
  f->vkCmdPipelineBarrier(t->xfer_cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                          VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &before, 0, NULL, 0, NULL);
  VkBufferCopy region = {.srcOffset = src_off, .dstOffset = dst_off, .size = n};
  f->vkCmdCopyBuffer(t->xfer_cmd, src, dst, 1, &region);
  VkMemoryBarrier after = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
      .dstAccessMask = to_device ? (VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                                    VK_ACCESS_TRANSFER_WRITE_BIT)
                                 : VK_ACCESS_HOST_READ_BIT,
  };
  f->vkCmdPipelineBarrier(t->xfer_cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                          to_device ? (VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT)
                                    : VK_PIPELINE_STAGE_HOST_BIT,
                          0, 1, &after, 0, NULL, 0, NULL);
  r = f->vkEndCommandBuffer(t->xfer_cmd);
  if (r != VK_SUCCESS) return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: transfer record: %s", tsr_vk_result_name(r));
  VkSubmitInfo si = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .commandBufferCount = 1,
      .pCommandBuffers = &t->xfer_cmd,
  };
  r = f->vkQueueSubmit(t->queue, 1, &si, t->xfer_fence);
  if (r == VK_SUCCESS) r = f->vkWaitForFences(t->device, 1, &t->xfer_fence, VK_TRUE, UINT64_MAX);
  if (r == VK_SUCCESS) r = f->vkResetFences(t->device, 1, &t->xfer_fence);
  if (r != VK_SUCCESS) return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: transfer: %s", tsr_vk_result_name(r));
  return tsr_vk_check_validation(t, "transfer");
}

tsr_status tsr_vk_upload(tsr_target *tt, tsr_buffer *buf, uint64_t off, const void *src, uint64_t n) {
  vk_target *t = tsr_vk_cast(tt);
  vk_chunk *c = buf->handle;
  if (t->pending) TSR_TRY(tsr_vk_wait(tt));
  if (buf->host != NULL) {
    memcpy((uint8_t *)buf->host + off, src, (size_t)n);
    return TSR_OK;
  }
  for (uint64_t done = 0; done < n;) {
    uint64_t k = n - done < STAGING_BYTES ? n - done : STAGING_BYTES;
    memcpy(t->staging->host, (const uint8_t *)src + done, (size_t)k);
    TSR_TRY(staging_copy(t, t->staging->buffer, 0, c->buffer, buf->handle_offset + off + done, k, true));
    done += k;
  }
  return TSR_OK;
}

tsr_status tsr_vk_download(tsr_target *tt, const tsr_buffer *buf, uint64_t off, void *dst, uint64_t n) {
  vk_target *t = tsr_vk_cast(tt);
  const vk_chunk *c = buf->handle;
  if (t->pending) TSR_TRY(tsr_vk_wait(tt));
  if (buf->host != NULL) {
    memcpy(dst, (const uint8_t *)buf->host + off, (size_t)n);
    return TSR_OK;
  }
  for (uint64_t done = 0; done < n;) {
    uint64_t k = n - done < STAGING_BYTES ? n - done : STAGING_BYTES;
    TSR_TRY(staging_copy(t, c->buffer, buf->handle_offset + off + done, t->staging->buffer, 0, k, false));
    memcpy((uint8_t *)dst + done, t->staging->host, (size_t)k);
    done += k;
  }
  return TSR_OK;
}
