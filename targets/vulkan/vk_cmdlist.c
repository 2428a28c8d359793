/* Command lists: every op of a list recorded once, at prepare time, into one
 * command buffer (barriers only where an op touches memory an earlier op of
 * the list wrote, or writes memory one read, since the last barrier);
 * per-op parameters in a host-visible control buffer whose first words hold
 * the dynamic values, rewritten before each submit. One vkQueueSubmit per
 * run, a fence to wait on, timestamp queries around every dispatch. */
#include <stdio.h>
#include <string.h>

#include "targets/vulkan/vk_internal.h"

typedef struct vk_list_op {
  tsr_op_type type;
  char name[40];
  const char *variant; /* static: tsr_vk_spirv_table name */
} vk_list_op;

typedef struct vk_span {
  const vk_chunk *chunk;
  uint64_t begin, end;
} vk_span;

struct tsr_cmdlist {
  VkCommandBuffer cmd;
  VkDescriptorPool pool;
  VkQueryPool queries; /* n_ops + 1 timestamps, or none */
  tsr_buffer ctl;      /* control words: dynamic values, then op blocks */
  int32_t *ctl_host;
  uint32_t n_ops;
  vk_list_op *ops;
  uint32_t n_dispatches, n_barriers, n_submits;
  bool ran;            /* submitted and waited for at least once */
};

/* ---- pipelines ---- */

static int32_t spirv_index(const vk_target *t, const char *name) {
  for (uint32_t i = 0; i < t->n_spirv; ++i) {
    if (strcmp(tsr_vk_spirv_table[i].name, name) == 0) return (int32_t)i;
  }
  return -1;
}

/* The best variant of |kernel| the enabled features allow. */
static int32_t choose_variant(const vk_target *t, const char *kernel) {
  static const char *const kSuffixes[] = {"_sg_s8", "_s8", "_sg_s16", "_s16", "_sg", ""};
  char name[64];
  for (size_t i = 0; i < sizeof(kSuffixes) / sizeof(kSuffixes[0]); ++i) {
    snprintf(name, sizeof(name), "%s%s", kernel, kSuffixes[i]);
    int32_t k = spirv_index(t, name);
    if (k >= 0 && (tsr_vk_spirv_table[k].features & ~t->features) == 0) return k;
  }
  return -1;
}

tsr_status tsr_vk_pipeline_get(vk_target *t, const char *kernel, const uint32_t spec[3], VkPipeline *out,
                               const char **out_variant) {
  vk_fns *f = &t->fn;
  int32_t v = choose_variant(t, kernel);
  if (v < 0) return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: no shader variant of %s for this device", kernel);
  *out_variant = tsr_vk_spirv_table[v].name;
  for (uint32_t i = 0; i < t->n_pipelines; ++i) {
    vk_pipeline *p = &t->pipelines[i];
    if (p->spirv == (uint32_t)v && memcmp(p->spec, spec, sizeof(p->spec)) == 0) {
      *out = p->pipeline;
      return TSR_OK;
    }
  }
  if (t->modules[v] == VK_NULL_HANDLE) {
    VkShaderModuleCreateInfo mi = {
        .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
        .codeSize = tsr_vk_spirv_table[v].size,
        .pCode = tsr_vk_spirv_table[v].code,
    };
    VkResult r = f->vkCreateShaderModule(t->device, &mi, NULL, &t->modules[v]);
    if (r != VK_SUCCESS) {
      t->modules[v] = VK_NULL_HANDLE;
      return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: shader module %s: %s", *out_variant, tsr_vk_result_name(r));
    }
  }
  if (t->n_pipelines == t->cap_pipelines) {
    uint32_t nc = t->cap_pipelines ? t->cap_pipelines * 2 : 32;
    vk_pipeline *n = tsr_alloc(t->base.allocator, sizeof(*n) * nc, 0);
    if (n == NULL) return VK_FAIL(t, TSR_ERR_OUT_OF_MEMORY, "vulkan: pipeline table");
    if (t->pipelines) memcpy(n, t->pipelines, sizeof(*n) * t->n_pipelines);
    tsr_free(t->base.allocator, t->pipelines);
    t->pipelines = n;
    t->cap_pipelines = nc;
  }
  const VkSpecializationMapEntry entries[3] = {
      {0, 0, 4},
      {1, 4, 4},
      {2, 8, 4},
  };
  const VkSpecializationInfo si = {.mapEntryCount = 3, .pMapEntries = entries, .dataSize = 12, .pData = spec};
  VkComputePipelineCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
      .stage =
          {
              .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
              .stage = VK_SHADER_STAGE_COMPUTE_BIT,
              .module = t->modules[v],
              .pName = "main",
              .pSpecializationInfo = &si,
          },
      .layout = t->pipeline_layout,
  };
  VkPipeline pipe = VK_NULL_HANDLE;
  VkResult r = f->vkCreateComputePipelines(t->device, t->pipeline_cache, 1, &ci, NULL, &pipe);
  if (r != VK_SUCCESS)
    return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: pipeline %s: %s", *out_variant, tsr_vk_result_name(r));
  vk_pipeline *p = &t->pipelines[t->n_pipelines++];
  p->spirv = (uint32_t)v;
  memcpy(p->spec, spec, sizeof(p->spec));
  p->pipeline = pipe;
  *out = pipe;
  return TSR_OK;
}

void tsr_vk_pipelines_deinit(vk_target *t) {
  vk_fns *f = &t->fn;
  for (uint32_t i = 0; i < t->n_pipelines; ++i) f->vkDestroyPipeline(t->device, t->pipelines[i].pipeline, NULL);
  tsr_free(t->base.allocator, t->pipelines);
  t->pipelines = NULL;
  t->n_pipelines = t->cap_pipelines = 0;
  if (t->modules) {
    for (uint32_t i = 0; i < t->n_spirv; ++i) {
      if (t->modules[i]) f->vkDestroyShaderModule(t->device, t->modules[i], NULL);
      t->modules[i] = VK_NULL_HANDLE;
    }
  }
}

/* ---- lists ---- */

void tsr_vk_release(tsr_target *tt, tsr_cmdlist *list) {
  vk_target *t = tsr_vk_cast(tt);
  if (list == NULL) return;
  vk_fns *f = &t->fn;
  if (t->pending == list) {
    tsr_status ws = tsr_vk_wait(tt); /* an error stays in t->base.error */
    (void)ws;
  }
  if (list->cmd) f->vkFreeCommandBuffers(t->device, t->cmd_pool, 1, &list->cmd);
  if (list->pool) f->vkDestroyDescriptorPool(t->device, list->pool, NULL);
  if (list->queries) f->vkDestroyQueryPool(t->device, list->queries, NULL);
  if (list->ctl.handle) tsr_vk_buffer_free(tt, &list->ctl);
  tsr_free(tt->allocator, list->ops);
  tsr_free(tt->allocator, list);
}

static bool overlaps(const vk_span *a, const vk_span *b) {
  return a->chunk == b->chunk && a->begin < b->end && b->begin < a->end;
}

static vk_span span_of(const tsr_tensor *tt) {
  uint64_t b = tsr_vk_tensor_offset(tt);
  uint64_t e = b + tsr_vk_tensor_span(tt);
  /* Sub-word stores touch whole words. */
  return (vk_span){tt->buffer->handle, b & ~(uint64_t)3, (e + 3) & ~(uint64_t)3};
}

static void barrier_compute(vk_fns *f, VkCommandBuffer cmd) {
  VkMemoryBarrier mb = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
  };
  f->vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb,
                          0, NULL, 0, NULL);
}

typedef struct prep {
  vk_op_plan *plans;
  uint32_t *words;     /* all op blocks */
  uint32_t *offsets;   /* word offset of each op's block in the control buffer */
  VkPipeline *pipes;
  VkDescriptorSet *sets;
  vk_span *reads, *writes;
} prep;

static void prep_free(const tsr_allocator *a, prep *p) {
  tsr_free(a, p->plans);
  tsr_free(a, p->words);
  tsr_free(a, p->offsets);
  tsr_free(a, p->pipes);
  tsr_free(a, p->sets);
  tsr_free(a, p->reads);
  tsr_free(a, p->writes);
}

static tsr_status record(vk_target *t, tsr_cmdlist *list, const prep *pp) {
  vk_fns *f = &t->fn;
  VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  VkResult r = f->vkBeginCommandBuffer(list->cmd, &bi);
  if (r != VK_SUCCESS) return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: vkBeginCommandBuffer: %s", tsr_vk_result_name(r));
  VkCommandBuffer cmd = list->cmd;
  /* Work submitted earlier (previous runs, staging copies) before this run. */
  VkMemoryBarrier head = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
  };
  f->vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                          VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &head, 0, NULL, 0, NULL);
  if (list->queries) {
    f->vkCmdResetQueryPool(cmd, list->queries, 0, list->n_ops + 1);
    f->vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, list->queries, 0);
  }
  uint32_t n_reads = 0, n_writes = 0;
  VkPipeline bound = VK_NULL_HANDLE;
  for (uint32_t i = 0; i < list->n_ops; ++i) {
    const vk_op_plan *p = &pp->plans[i];
    /* Hazards against what ran since the last barrier. */
    vk_span mine[TSR_VK_MAX_BINDINGS - 1];
    uint32_t n_mine = 0;
    for (uint32_t j = 1; j < p->n_tensors; ++j) {
      if (p->tensors[j]) mine[n_mine++] = span_of(p->tensors[j]);
    }
    vk_span out = span_of(p->tensors[0]);
    bool hazard = false;
    for (uint32_t k = 0; k < n_writes && !hazard; ++k) {
      hazard = overlaps(&out, &pp->writes[k]);
      for (uint32_t j = 0; j < n_mine && !hazard; ++j) hazard = overlaps(&mine[j], &pp->writes[k]);
    }
    for (uint32_t k = 0; k < n_reads && !hazard; ++k) hazard = overlaps(&out, &pp->reads[k]);
    if (hazard && !t->skip_barriers) {
      barrier_compute(f, cmd);
      list->n_barriers++;
      n_reads = n_writes = 0;
    }
    for (uint32_t j = 0; j < n_mine; ++j) pp->reads[n_reads++] = mine[j];
    pp->writes[n_writes++] = out;
    if (pp->pipes[i] != bound) {
      f->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pp->pipes[i]);
      bound = pp->pipes[i];
    }
    f->vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, t->pipeline_layout, 0, 1, &pp->sets[i], 0, NULL);
    f->vkCmdPushConstants(cmd, t->pipeline_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, 4, &pp->offsets[i]);
    f->vkCmdDispatch(cmd, p->groups[0], p->groups[1], p->groups[2]);
    list->n_dispatches++;
    if (list->queries) f->vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, list->queries, i + 1);
  }
  /* Results readable by the host (mapped memory) and by transfers (staging). */
  VkMemoryBarrier tail = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT,
  };
  f->vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                          VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &tail, 0, NULL, 0, NULL);
  r = f->vkEndCommandBuffer(cmd);
  if (r != VK_SUCCESS) return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: vkEndCommandBuffer: %s", tsr_vk_result_name(r));
  return TSR_OK;
}

/* Descriptor range for a tensor (exactly the words it spans: the validation
 * layer's hazard tracking and robust-access devices see the true extent), or
 * for an absent one, the control buffer. */
static VkDescriptorBufferInfo binding_of(const vk_target *t, const tsr_cmdlist *list, const tsr_tensor *tt) {
  if (tt == NULL) {
    const vk_chunk *c = list->ctl.handle;
    return (VkDescriptorBufferInfo){c->buffer, list->ctl.handle_offset, (list->ctl.size + 3) & ~(uint64_t)3};
  }
  const vk_chunk *c = tt->buffer->handle;
  uint32_t base = tsr_vk_tensor_base(t, tt);
  uint64_t off = tsr_vk_tensor_offset(tt) - base;
  uint64_t range = (base + tsr_vk_tensor_span(tt) + 3) & ~(uint64_t)3;
  if (range == 0) range = 4;
  if (range > c->size - off) range = c->size - off;
  if (range > t->max_range) range = t->max_range & ~(uint64_t)3;
  return (VkDescriptorBufferInfo){c->buffer, off, range};
}

static tsr_status build(vk_target *t, const tsr_op *ops, uint32_t n_ops, tsr_cmdlist *list, prep *pp) {
  vk_fns *f = &t->fn;
  const tsr_allocator *a = t->base.allocator;
  uint32_t total_words = 0;
  for (uint32_t i = 0; i < n_ops; ++i) total_words += (tsr_vk_op_words(&ops[i]) + 3u) & ~3u;
  pp->plans = tsr_alloc(a, sizeof(vk_op_plan) * n_ops, 0);
  pp->words = tsr_alloc(a, sizeof(uint32_t) * (total_words + 1), 0);
  pp->offsets = tsr_alloc(a, sizeof(uint32_t) * n_ops, 0);
  pp->pipes = tsr_alloc(a, sizeof(VkPipeline) * n_ops, 0);
  pp->sets = tsr_alloc(a, sizeof(VkDescriptorSet) * n_ops, 0);
  pp->reads = tsr_alloc(a, sizeof(vk_span) * n_ops * (TSR_VK_MAX_BINDINGS - 2), 0);
  pp->writes = tsr_alloc(a, sizeof(vk_span) * n_ops, 0);
  list->ops = tsr_alloc(a, sizeof(vk_list_op) * n_ops, 0);
  if (!pp->plans || !pp->words || !pp->offsets || !pp->pipes || !pp->sets || !pp->reads || !pp->writes || !list->ops)
    return VK_FAIL(t, TSR_ERR_OUT_OF_MEMORY, "vulkan: command list of %u ops", (unsigned)n_ops);
  /* Plans and pipelines. */
  uint32_t w = TSR_VK_CTL_HEADER;
  for (uint32_t i = 0; i < n_ops; ++i) {
    vk_op_plan *p = &pp->plans[i];
    p->words = pp->words + (w - TSR_VK_CTL_HEADER);
    TSR_TRY(tsr_vk_plan_op(t, &ops[i], p));
    pp->offsets[i] = w;
    w += (p->n_words + 3u) & ~3u;
    vk_list_op *lo = &list->ops[i];
    lo->type = ops[i].type;
    snprintf(lo->name, sizeof(lo->name), "%s", ops[i].name ? ops[i].name : tsr_op_type_name(ops[i].type));
    TSR_TRY(tsr_vk_pipeline_get(t, p->kernel, p->spec, &pp->pipes[i], &lo->variant));
    list->n_ops = i + 1;
  }
  /* Control buffer: dynamic values, then the op blocks. */
  TSR_TRY(tsr_vk_buffer_alloc(&t->base, (uint64_t)w * 4u, TSR_BUFFER_HOST_VISIBLE, &list->ctl));
  if (list->ctl.host == NULL) return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: control buffer not mapped");
  list->ctl_host = list->ctl.host;
  memset(list->ctl_host, 0, (size_t)w * 4u);
  memcpy(list->ctl_host + TSR_VK_CTL_HEADER, pp->words, sizeof(uint32_t) * (w - TSR_VK_CTL_HEADER));
  /* Descriptors. */
  VkDescriptorPoolSize ps = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, n_ops * TSR_VK_MAX_BINDINGS};
  VkDescriptorPoolCreateInfo pci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
      .maxSets = n_ops,
      .poolSizeCount = 1,
      .pPoolSizes = &ps,
  };
  VkResult r = f->vkCreateDescriptorPool(t->device, &pci, NULL, &list->pool);
  if (r != VK_SUCCESS) return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: descriptor pool: %s", tsr_vk_result_name(r));
  VkCommandBufferAllocateInfo cai = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
      .commandPool = t->cmd_pool,
      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
      .commandBufferCount = 1,
  };
  r = f->vkAllocateCommandBuffers(t->device, &cai, &list->cmd);
  if (r != VK_SUCCESS) {
    list->cmd = VK_NULL_HANDLE;
    return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: command buffer: %s", tsr_vk_result_name(r));
  }
  if (t->timestamps) {
    VkQueryPoolCreateInfo qi = {
        .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
        .queryType = VK_QUERY_TYPE_TIMESTAMP,
        .queryCount = n_ops + 1,
    };
    if (f->vkCreateQueryPool(t->device, &qi, NULL, &list->queries) != VK_SUCCESS) list->queries = VK_NULL_HANDLE;
  }
  /* One descriptor set per op, bound right before its dispatch. */
  for (uint32_t i = 0; i < n_ops; ++i) {
    VkDescriptorSetAllocateInfo dai = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
        .descriptorPool = list->pool,
        .descriptorSetCount = 1,
        .pSetLayouts = &t->set_layout,
    };
    VkDescriptorSet set = VK_NULL_HANDLE;
    r = f->vkAllocateDescriptorSets(t->device, &dai, &set);
    if (r != VK_SUCCESS) return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: descriptor set: %s", tsr_vk_result_name(r));
    VkDescriptorBufferInfo infos[TSR_VK_MAX_BINDINGS];
    infos[0] = binding_of(t, list, NULL);
    for (uint32_t j = 1; j < TSR_VK_MAX_BINDINGS; ++j) {
      const tsr_tensor *tt = j - 1 < pp->plans[i].n_tensors ? pp->plans[i].tensors[j - 1] : NULL;
      infos[j] = binding_of(t, list, tt);
    }
    VkWriteDescriptorSet wr = {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = set,
        .dstBinding = 0,
        .descriptorCount = TSR_VK_MAX_BINDINGS,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = infos,
    };
    f->vkUpdateDescriptorSets(t->device, 1, &wr, 0, NULL);
    pp->sets[i] = set;
  }
  return TSR_OK;
}

tsr_status tsr_vk_prepare(tsr_target *tt, const tsr_op *ops, uint32_t n_ops, tsr_cmdlist **out) {
  vk_target *t = tsr_vk_cast(tt);
  const tsr_allocator *a = tt->allocator;
  TSR_TRY(tsr_vk_check_validation(t, "before prepare"));
  if (n_ops == 0) return VK_FAIL(t, TSR_ERR_INVALID_ARGUMENT, "vulkan: empty command list");
  tsr_cmdlist *list = tsr_alloc(a, sizeof(*list), 0);
  if (list == NULL) return VK_FAIL(t, TSR_ERR_OUT_OF_MEMORY, "vulkan: command list");
  memset(list, 0, sizeof(*list));
  prep pp;
  memset(&pp, 0, sizeof(pp));
  tsr_status s = build(t, ops, n_ops, list, &pp);
  if (s == TSR_OK) s = record(t, list, &pp);
  prep_free(a, &pp);
  if (s == TSR_OK) s = tsr_vk_check_validation(t, "prepare");
  if (s != TSR_OK) {
    tsr_vk_release(tt, list);
    return s;
  }
  *out = list;
  return TSR_OK;
}

tsr_status tsr_vk_submit(tsr_target *tt, tsr_cmdlist *list, const tsr_dyn_values *dyn) {
  vk_target *t = tsr_vk_cast(tt);
  if (t->pending) TSR_TRY(tsr_vk_wait(tt));
  TSR_TRY(tsr_vk_check_validation(t, "before submit"));
  for (int i = 0; i < TSR_MAX_DYN; ++i) {
    int64_t v = dyn ? dyn->v[i] : 0;
    /* Clamped: every use clamps to tensor extents far below 2^30. */
    v = v < -((int64_t)1 << 30) ? -((int64_t)1 << 30) : (v > ((int64_t)1 << 30) ? ((int64_t)1 << 30) : v);
    list->ctl_host[i] = (int32_t)v;
  }
  VkSubmitInfo si = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .commandBufferCount = 1,
      .pCommandBuffers = &list->cmd,
  };
  VkResult r = t->fn.vkQueueSubmit(t->queue, 1, &si, t->fence);
  if (r != VK_SUCCESS) return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: vkQueueSubmit: %s", tsr_vk_result_name(r));
  list->n_submits++;
  t->pending = list;
  return tsr_vk_check_validation(t, "submit");
}

tsr_status tsr_vk_wait(tsr_target *tt) {
  vk_target *t = tsr_vk_cast(tt);
  if (t->pending) {
    tsr_cmdlist *list = t->pending;
    t->pending = NULL;
    VkResult r = t->fn.vkWaitForFences(t->device, 1, &t->fence, VK_TRUE, UINT64_MAX);
    if (r == VK_SUCCESS) r = t->fn.vkResetFences(t->device, 1, &t->fence);
    if (r != VK_SUCCESS) return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: waiting: %s", tsr_vk_result_name(r));
    list->ran = true;
  }
  return tsr_vk_check_validation(t, "wait");
}

tsr_status tsr_vk_get_profile(tsr_target *tt, tsr_cmdlist *list, tsr_op_timing *out, uint32_t cap, uint32_t *out_n) {
  vk_target *t = tsr_vk_cast(tt);
  if (list == NULL || out_n == NULL || (out == NULL && cap > 0)) return TSR_ERR_INVALID_ARGUMENT;
  if (list->queries == VK_NULL_HANDLE) return VK_FAIL(t, TSR_ERR_UNSUPPORTED, "vulkan: no timestamp queries");
  if (t->pending == list) TSR_TRY(tsr_vk_wait(tt));
  if (!list->ran) return VK_FAIL(t, TSR_ERR_STATE, "vulkan: profile of a list that has not run");
  uint64_t stamps[65];
  uint32_t n = list->n_ops < cap ? list->n_ops : cap;
  uint64_t prev = 0;
  for (uint32_t base = 0; base < n; base += 64) {
    uint32_t k = n - base < 64 ? n - base : 64;
    VkResult r = t->fn.vkGetQueryPoolResults(t->device, list->queries, base, k + 1, sizeof(stamps), stamps,
                                             sizeof(uint64_t), VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
    if (r != VK_SUCCESS) return VK_FAIL(t, TSR_ERR_DEVICE, "vulkan: timestamps: %s", tsr_vk_result_name(r));
    if (base == 0) prev = stamps[0];
    for (uint32_t i = 0; i < k; ++i) {
      uint64_t cur = stamps[i + 1];
      uint64_t d = (cur - prev) & t->ts_mask;
      out[base + i].type = list->ops[base + i].type;
      out[base + i].name = list->ops[base + i].name;
      out[base + i].ms = (double)d * t->ns_per_tick * 1e-6;
      prev = cur;
    }
  }
  *out_n = n;
  return tsr_vk_check_validation(t, "profile");
}

/* ---- hooks ---- */

tsr_status tsr_vulkan_list_stats_get(const tsr_target *t, const tsr_cmdlist *list, tsr_vulkan_list_stats *out) {
  if (!tsr_vulkan_is_target(t) || list == NULL || out == NULL) return TSR_ERR_INVALID_ARGUMENT;
  out->ops = list->n_ops;
  out->dispatches = list->n_dispatches;
  out->barriers = list->n_barriers;
  out->submits = list->n_submits;
  return TSR_OK;
}

const char *tsr_vulkan_list_variant(const tsr_target *t, const tsr_cmdlist *list, uint32_t i) {
  if (!tsr_vulkan_is_target(t) || list == NULL || i >= list->n_ops) return NULL;
  return list->ops[i].variant;
}
